/**
 * The agent's I/O buffers (run buffers of the reader, range buffers of the importer): SharedArrayBuffers,
 * so the hash workers read and write them in place (see HashPool). A SharedArrayBuffer's memory is freed
 * only once every thread that saw it has collected its handle, and the workers rarely collect: buffers
 * dropped after each volume stayed in memory (a bench's peak RSS went from 310 to ~490 MiB). So every
 * buffer the agent is done with comes back here and is reused, by the next run or range and by the next
 * volume of the same process, up to a bound.
 *
 * Buffers whose size is a whole number of 64 KiB pages are the memory of a shared WebAssembly.Memory:
 * V8 maps it on a page boundary, which direct I/O (O_DIRECT) needs and a plain SharedArrayBuffer lacks
 * (malloc puts it 16 bytes past one). The memory is otherwise the same, zero-filled when new.
 */
const WASM_PAGE = 64 * 1024;

/** Node has WebAssembly; the ES2022 lib these files compile with does not declare it as a value. */
const { WebAssembly: wasm } = globalThis as unknown as {
  WebAssembly: { Memory: new (size: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer } };
};

/** A new shared buffer of `bytes`, page-aligned when `bytes` is a whole number of 64 KiB pages. */
export function newSharedBuffer(bytes: number): SharedArrayBuffer {
  if (bytes === 0 || bytes % WASM_PAGE !== 0) return new SharedArrayBuffer(bytes);
  const pages = bytes / WASM_PAGE;
  return new wasm.Memory({ initial: pages, maximum: pages, shared: true }).buffer;
}

export class SharedBufferPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private keptBytes = 0;

  constructor(private readonly maxKeptBytes: number) {}

  /** A buffer of exactly `bytes`; a reused one still holds its last user's bytes. */
  take(bytes: number): SharedArrayBuffer {
    const reused = this.free.get(bytes)?.pop();
    if (!reused) return newSharedBuffer(bytes);
    this.keptBytes -= bytes;
    return reused;
  }

  /** A page-aligned buffer, as direct I/O needs: at least `bytes`, rounded up to whole 64 KiB pages. */
  takeAligned(bytes: number): SharedArrayBuffer {
    return this.take(Math.max(1, Math.ceil(bytes / WASM_PAGE)) * WASM_PAGE);
  }

  /** Hand a buffer back for reuse; past the bound it is left to the garbage collector. */
  give(buffer: SharedArrayBuffer): void {
    if (this.keptBytes + buffer.byteLength > this.maxKeptBytes) return;
    const list = this.free.get(buffer.byteLength) ?? [];
    list.push(buffer);
    this.free.set(buffer.byteLength, list);
    this.keptBytes += buffer.byteLength;
  }

  get bytesKept(): number {
    return this.keptBytes;
  }
}

/** One per process: a reader's ~212 MiB of run buffers and an importer's ranges fit. */
export const agentBuffers = new SharedBufferPool(256 * 1024 * 1024);
