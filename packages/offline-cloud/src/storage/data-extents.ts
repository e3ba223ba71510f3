/**
 * Where a sparse file holds data, so a capture reads only those ranges instead of the holes.
 * Reading a hole is correct (it returns zeros) but costs a zero page of page cache per 4 KiB: on a
 * fresh 1 GiB file that is seconds on a small VM. Node has no lseek(SEEK_DATA), so we ask
 * `filefrag -e` (e2fsprogs, FIEMAP; it also lists delayed-allocation extents not yet on disk).
 * Any doubt (no filefrag, an unparsable answer, extents that account for less than the file's
 * allocated size) returns undefined and the caller reads the whole file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export type ByteRange = readonly [start: number, endExclusive: number];

const HEADER = /\((\d+) blocks? of (\d+) bytes\)/;
const EXTENT = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):/;
/** Allocated space the extents need not explain (extent-tree / indirect metadata blocks). */
const METADATA_SLACK_BYTES = 1024 * 1024;

let filefragMissing = false;

export function dataExtents(file: string): ByteRange[] | undefined {
  if (filefragMissing || process.platform !== 'linux') return undefined;
  let out: string;
  try {
    out = execFileSync('filefrag', ['-e', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') filefragMissing = true;
    return undefined;
  }
  return parseFilefrag(out, fs.statSync(file).blocks * 512);
}

/** Parses `filefrag -e` output; undefined unless it clearly accounts for the allocated bytes. */
export function parseFilefrag(out: string, allocatedBytes: number): ByteRange[] | undefined {
  const header = HEADER.exec(out);
  if (!header) return undefined;
  const unit = Number(header[2]);
  const ranges: ByteRange[] = [];
  let covered = 0;
  for (const line of out.split('\n')) {
    const m = EXTENT.exec(line);
    if (!m) continue;
    const start = Number(m[1]) * unit;
    const end = (Number(m[2]) + 1) * unit;
    ranges.push([start, end]);
    covered += end - start;
  }
  if (!/extents? found/.test(out)) return undefined;
  if (covered + METADATA_SLACK_BYTES < allocatedBytes) return undefined;
  return ranges.sort((a, b) => a[0] - b[0]);
}
