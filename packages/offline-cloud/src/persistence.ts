/**
 * Durable state of the offline cloud: one JSON document at `<dataDir>/state.json` holding what lives
 * only in memory (the EC2 model, Step Functions machines and executions). Bytes (S3 objects, volumes,
 * snapshots) are files already. Writes are debounced after `markDirty()` and atomic (write a temp file,
 * then rename over the old one), so a crash leaves either the old or the new state, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';

export const STATE_FILE = 'state.json';
export const STATE_VERSION = 1;

export interface SavedState {
  version: number;
  savedAt: string;
  /** One entry per stateful component (e.g. ec2, sfn), as its own toJSON() returned it. */
  components: Record<string, unknown>;
}

/** Reads `<dataDir>/state.json`; undefined when there is none yet. Throws on a corrupt or foreign file. */
export function loadState(dataDir: string): SavedState | undefined {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as SavedState;
  if (parsed?.version !== STATE_VERSION || typeof parsed.components !== 'object') {
    throw new Error(`${file}: not a Lifeboat offline cloud state file (version ${String(parsed?.version)})`);
  }
  return parsed;
}

/** Writes the state atomically (temp file + rename in the same folder). */
export function writeStateAtomically(dataDir: string, components: Record<string, unknown>): void {
  const file = path.join(dataDir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const doc: SavedState = { version: STATE_VERSION, savedAt: new Date().toISOString(), components };
  fs.writeFileSync(tmp, JSON.stringify(doc));
  fs.renameSync(tmp, file);
}

/** Debounced saver: many mutations in a burst cost one write. */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly dataDir: string,
    private readonly collect: () => Record<string, unknown>,
    private readonly onError: (err: unknown) => void,
    private readonly debounceMs = 100,
  ) {}

  markDirty(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saveNow();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Saves at once (also used on stop), cancelling any pending debounced save. */
  saveNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      writeStateAtomically(this.dataDir, this.collect());
    } catch (err) {
      this.onError(err);
    }
  }

  /** Final save; later markDirty calls are ignored. */
  close(): void {
    this.saveNow();
    this.closed = true;
  }
}
