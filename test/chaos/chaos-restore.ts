/**
 * An independent restore path for the chaos suite: the by-hand restore of docs/store-format.md (its own Python
 * script, none of Lifeboat's chain or pack code) run on a copy of the store as `aws s3 sync` would lay it out,
 * and the restored image's blocks hashed by a second small Python script that skips holes (SEEK_DATA), so a
 * whole 1 GiB volume is checked without reading its empty parts. Plus what the store must not keep: working
 * files of executions that are over, and packs no checkpoint references.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VolumeImage } from '../../bin/demo/verify';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import { packIdFromIndexKey } from '../../runtime/core/store/format';

const DOC = path.resolve(__dirname, '../../docs/store-format.md');

/** sha256 of every 512 KiB block that holds a non-zero byte, as {index: hash}; holes are skipped. */
const HASH_BLOCKS = `
import hashlib, json, os, sys
B = 524288
out = {}
with open(sys.argv[1], "rb") as f:
    end = os.fstat(f.fileno()).st_size
    pos = 0
    while pos < end:
        try:
            pos = os.lseek(f.fileno(), pos, os.SEEK_DATA)
        except OSError:
            break
        hole = os.lseek(f.fileno(), pos, os.SEEK_HOLE)
        n = pos // B
        while n * B < hole:
            f.seek(n * B)
            data = f.read(B)
            if data.strip(b"\\0"):
                out[str(n)] = hashlib.sha256(data).hexdigest()
            n += 1
        pos = max(hole, n * B)
print(json.dumps(out))
`;

export class IndependentRestore {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-chaos-restore-'));
  private readonly script = path.join(this.dir, 'restore.py');
  private readonly hasher = path.join(this.dir, 'hash_blocks.py');

  constructor() {
    const doc = fs.readFileSync(DOC, 'utf8');
    const script = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
    if (!script) throw new Error(`${DOC} has no python restore script`);
    fs.writeFileSync(this.script, script);
    fs.writeFileSync(this.hasher, HASH_BLOCKS);
  }

  /** Mirrors the VPG's checkpoints/ and packs/ (summaries excluded, as the doc's `aws s3 sync` does). */
  private async mirror(store: S3ReplicaStore, vpg: string): Promise<string> {
    const root = path.join(this.dir, 'store');
    fs.rmSync(root, { recursive: true, force: true });
    for (const sub of ['checkpoints', 'packs']) {
      fs.mkdirSync(path.join(root, sub), { recursive: true });
      for await (const key of store.listKeys(`vpgs/${vpg}/${sub}/`)) {
        if (key.endsWith('.summary.json')) continue;
        const bytes = await store.getBytes(key);
        if (bytes) fs.writeFileSync(path.join(root, sub, key.split('/').pop()!), bytes);
      }
    }
    return root;
  }

  /** Problems restoring each checkpoint by hand ([] = each volume is byte for byte its image). */
  async problems(store: S3ReplicaStore, vpg: string, expected: ReadonlyMap<string, readonly VolumeImage[]>): Promise<string[]> {
    if (expected.size === 0) return [];
    const root = await this.mirror(store, vpg);
    const problems: string[] = [];
    for (const [checkpointId, images] of expected) {
      for (const image of images) {
        const out = path.join(this.dir, 'restored.raw');
        try {
          execFileSync('python3', [this.script, root, checkpointId, image.sourceVolumeId, out], { stdio: ['ignore', 'pipe', 'pipe'] });
          const got = JSON.parse(execFileSync('python3', [this.hasher, out]).toString()) as Record<string, string>;
          const want = Object.fromEntries([...image.blocks].map(([i, h]) => [String(i), h]));
          const differ = [...new Set([...Object.keys(got), ...Object.keys(want)])].filter((i) => got[i] !== want[i]);
          if (fs.statSync(out).size !== image.sizeBytes)
            problems.push(`${checkpointId} ${image.sourceVolumeId}: restored by hand to ${fs.statSync(out).size} bytes, not ${image.sizeBytes}`);
          if (differ.length) problems.push(`${checkpointId} ${image.sourceVolumeId}: the by-hand restore differs in blocks ${differ.slice(0, 8).join(', ')}`);
        } catch (err) {
          const e = err as { stderr?: Buffer; message: string };
          problems.push(`${checkpointId} ${image.sourceVolumeId}: the by-hand restore failed: ${(e.stderr?.toString() || e.message).trim().split('\n').pop()}`);
        } finally {
          fs.rmSync(out, { force: true });
        }
      }
    }
    return problems;
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Working-file prefixes (syncs/<id>/, imports/<id>/) left in the store. */
export async function workingPrefixes(store: S3ReplicaStore, vpg: string): Promise<string[]> {
  const prefixes = new Set<string>();
  for (const kind of ['syncs', 'imports']) {
    for await (const key of store.listKeys(`vpgs/${vpg}/${kind}/`)) prefixes.add(key.split('/').slice(0, 4).join('/') + '/');
  }
  return [...prefixes].sort();
}

/** Packs none of whose blocks any committed checkpoint's resolved map references. */
export async function orphanPacks(store: S3ReplicaStore, vpg: string): Promise<string[]> {
  const live = new Set<string>();
  for (const c of await store.listCheckpoints(vpg)) {
    for (const v of c.volumes) for (const ref of (await store.resolveVolume(vpg, c.id, v.sourceVolumeId)).values()) if (ref !== ZERO_BLOCK) live.add(ref);
  }
  const orphans: string[] = [];
  for await (const key of store.listKeys(`vpgs/${vpg}/packs/`)) {
    const packId = packIdFromIndexKey(key);
    if (!packId) continue;
    const index = await store.getJson<{ blocks: Array<{ hash: string }> }>(key);
    if (index && !index.blocks.some((b) => live.has(b.hash))) orphans.push(packId);
  }
  return orphans;
}
