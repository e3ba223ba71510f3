/**
 * The protected workload of the demo and the end-to-end tests: an EC2 instance with EBS volumes on the
 * offline cloud, whose disks are written through the cloud's admin route (the way a guest OS would write).
 */
import crypto from 'node:crypto';
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  type EC2Client,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';

export interface ProtectedVolume {
  readonly volumeId: string;
  readonly sizeBytes: number;
}

export interface ProtectedInstance {
  readonly instanceId: string;
  readonly volumes: readonly ProtectedVolume[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Launches an instance (tagged so a VPG selects it) with data volumes of the given sizes attached. */
export async function createProtectedInstance(
  ec2: EC2Client,
  opts: {
    tags: Record<string, string>;
    volumeSizesGiB: readonly number[];
    name?: string;
    subnetId?: string;
    /** Data volumes encrypted under this KMS key. */
    kmsKeyId?: string;
    /** Default t3.micro. */
    instanceType?: string;
    /** Default: the first image the cloud lists. */
    imageId?: string;
  },
): Promise<ProtectedInstance> {
  const images = opts.imageId ? undefined : await ec2.send(new DescribeImagesCommand({ Owners: ['self', 'amazon'] }));
  const imageId = opts.imageId ?? images?.Images?.[0]?.ImageId;
  if (!imageId) throw new Error('the cloud lists no image to launch the protected instance from');
  const tags = Object.entries({ Name: opts.name ?? 'protected-app', ...opts.tags }).map(([Key, Value]) => ({ Key, Value }));
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: (opts.instanceType ?? 't3.micro') as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: opts.subnetId,
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
    }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId;
  if (!instanceId) throw new Error('RunInstances returned no instance');
  const az = await until('the protected instance to run', async () => {
    const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = d.Reservations?.[0]?.Instances?.[0];
    return inst?.State?.Name === 'running' ? inst.Placement?.AvailabilityZone : undefined;
  });
  const volumes: ProtectedVolume[] = [];
  for (const [i, sizeGiB] of opts.volumeSizesGiB.entries()) {
    const encryption = opts.kmsKeyId ? { Encrypted: true, KmsKeyId: opts.kmsKeyId } : {};
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: sizeGiB, VolumeType: 'gp3', ...encryption }));
    const volumeId = vol.VolumeId!;
    await until(`volume ${volumeId}`, async () => {
      const d = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      return d.Volumes?.[0]?.State === 'available' ? true : undefined;
    });
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: `/dev/sd${String.fromCharCode(102 + i)}` }));
    await until(`volume ${volumeId} attached`, async () => {
      const d = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      return d.Volumes?.[0]?.Attachments?.[0]?.State === 'attached' ? true : undefined;
    });
    volumes.push({ volumeId, sizeBytes: sizeGiB * 1024 ** 3 });
  }
  return { instanceId, volumes };
}

/**
 * fetch, tried again when the connection itself fails (no HTTP answer): after the offline cloud restarts on the
 * same port, a kept-alive socket to the old process fails once ("fetch failed"; seen in npm run chaos). Both admin
 * volume calls are idempotent (the same bytes at the same offset), so a retry cannot change what is written.
 */
async function fetchAgain(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 4 || !(err instanceof TypeError)) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

/** Writes bytes into a volume at a byte offset, through the offline cloud's admin route. */
export async function writeVolume(endpoint: string, volumeId: string, offset: number, data: Buffer): Promise<void> {
  const res = await fetchAgain(`${endpoint}/_lifeboat/volumes/${volumeId}/data?offset=${offset}`, { method: 'PUT', body: data });
  if (res.status !== 200) throw new Error(`writing ${data.length} bytes to ${volumeId} at ${offset}: HTTP ${res.status} ${await res.text()}`);
}

export async function readVolume(endpoint: string, volumeId: string, offset: number, length: number): Promise<Buffer> {
  const res = await fetchAgain(`${endpoint}/_lifeboat/volumes/${volumeId}/data?offset=${offset}&length=${length}`);
  if (res.status !== 200) throw new Error(`reading ${volumeId} at ${offset}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A deterministic random generator, so a run can be repeated exactly. */
export function seededBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let counter = 0;
  for (let pos = 0; pos < length; pos += 32) {
    crypto.createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, pos);
  }
  return out;
}

export interface WriteSummary {
  readonly blocksTouched: ReadonlySet<number>;
  readonly bytes: number;
}

/**
 * A realistic write pattern: a few contiguous runs (log/database files), scattered single blocks,
 * and blocks trimmed to zeros.
 */
export async function writePattern(
  endpoint: string,
  volume: ProtectedVolume,
  opts: { seed: string; runs: number; runBlocks: number; scattered: number; trim?: number[] },
): Promise<WriteSummary> {
  const blocks = volume.sizeBytes / BLOCK_SIZE;
  const touched = new Set<number>();
  let bytes = 0;
  const rand = (n: number, salt: string) => seededBytes(`${opts.seed}:${salt}`, 4).readUInt32BE(0) % n;
  for (let r = 0; r < opts.runs; r++) {
    const start = rand(blocks - opts.runBlocks, `run${r}`);
    const data = seededBytes(`${opts.seed}:run-data${r}`, opts.runBlocks * BLOCK_SIZE);
    await writeVolume(endpoint, volume.volumeId, start * BLOCK_SIZE, data);
    for (let b = 0; b < opts.runBlocks; b++) touched.add(start + b);
    bytes += data.length;
  }
  for (let s = 0; s < opts.scattered; s++) {
    const block = rand(blocks, `scatter${s}`);
    // an unaligned write inside the block: the rest of the block keeps its bytes
    const data = seededBytes(`${opts.seed}:scatter-data${s}`, 4096 + 17);
    await writeVolume(endpoint, volume.volumeId, block * BLOCK_SIZE + 1000, data);
    touched.add(block);
    bytes += data.length;
  }
  for (const block of opts.trim ?? []) {
    await writeVolume(endpoint, volume.volumeId, block * BLOCK_SIZE, Buffer.alloc(BLOCK_SIZE));
    touched.add(block);
    bytes += BLOCK_SIZE;
  }
  return { blocksTouched: touched, bytes };
}
