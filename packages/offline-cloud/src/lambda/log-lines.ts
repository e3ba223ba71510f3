/**
 * A sandbox's stdout or stderr as whole lines: a pipe delivers chunks, not lines, so a long JSON line (an embedded
 * metric format document) can arrive in pieces and two lines in one chunk.
 */
import type { Readable } from 'node:stream';

export function onLines(stream: Readable | null, each: (line: string) => void): void {
  let partial = '';
  stream?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) each(line);
  });
  stream?.on('end', () => {
    if (partial) each(partial);
    partial = '';
  });
}
