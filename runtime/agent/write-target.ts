/**
 * Opening what the importer and the raw exporter write to. Where the target takes it, it is written with
 * direct I/O (O_DIRECT): the bytes go from the agent's page-aligned buffers to the device, not copied
 * through the page cache first. Measured here: onto a block device it saves the page-cache copy and its
 * writeback (0.1-0.2 CPU-s/GiB over the whole machine); onto a file on ext4, 2-5× less CPU and about
 * twice the speed (buffered, two writers allocating one sparse file contend). Where the target refuses
 * (a character device, tmpfs before Linux 6.6, a device with a larger alignment) it uses the page cache.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { agentBuffers } from './shared-buffers';

/** Direct I/O wants offsets, lengths and memory on the target's logical block (512 B or 4 KiB). */
export const DIRECT_ALIGN = 4096;

export interface WriteTarget {
  readonly handle: FileHandle;
  /** Opened with O_DIRECT. */
  readonly directIo: boolean;
}

/**
 * Open `path` read-write (`create`: a new file of `sizeBytes`, sparse). `direct` asks for O_DIRECT; the
 * caller asks only when every write it makes is aligned to DIRECT_ALIGN.
 */
export async function openWriteTarget(path: string, options: { create: boolean; sizeBytes: number; direct: boolean }): Promise<WriteTarget> {
  const flags = constants.O_RDWR | (options.create ? constants.O_CREAT | constants.O_TRUNC : 0);
  const prepare = async (handle: FileHandle) => {
    if (options.create) await handle.truncate(options.sizeBytes);
    return handle;
  };
  if (options.direct) {
    const handle = await refusedAsNull(() => open(path, flags | constants.O_DIRECT, 0o666));
    if (handle) {
      if (await takesAlignedTransfers(await prepare(handle))) return { handle, directIo: true };
      await handle.close();
    }
  }
  return { handle: await prepare(await open(path, flags, 0o666)), directIo: false };
}

/** One aligned read of the target's start: a target whose alignment is larger than ours refuses it (EINVAL). */
async function takesAlignedTransfers(handle: FileHandle): Promise<boolean> {
  const probe = agentBuffers.takeAligned(DIRECT_ALIGN);
  try {
    return (await refusedAsNull(() => handle.read(new Uint8Array(probe, 0, DIRECT_ALIGN), 0, DIRECT_ALIGN, 0))) !== null;
  } finally {
    agentBuffers.give(probe);
  }
}

async function refusedAsNull<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EINVAL') return null;
    throw e;
  }
}

/** fsync, except on a character device such as /dev/null, which has nothing to flush (EINVAL; dd ignores it too). */
export async function syncUnlessSpecial(handle: FileHandle): Promise<void> {
  try {
    await handle.sync();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EINVAL' && (await handle.stat()).isCharacterDevice()) return;
    throw e;
  }
}
