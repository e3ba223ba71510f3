/**
 * Progress for long work: a bar on a terminal (cli-progress), plain timestamped lines otherwise
 * (CI logs, pipes), printed on a change of phase or at most every few seconds.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** A new phase of the work (e.g. "snapshotting"), shown as the bar's label or as one line. */
  phase(name: string): void;
  update(done: number, total: number): void;
  stop(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) return barProgress(label, stream);
  return lineProgress(label, stream);
}

function barProgress(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar(
    { stream, format: `${label} {phase} [{bar}] {percentage}% | {value}/{total}`, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  let started = false;
  let phase = '';
  const ensure = (total: number) => {
    if (!started) bar.start(Math.max(total, 1), 0, { phase });
    started = true;
  };
  return {
    phase(name) {
      phase = name;
      ensure(1);
      bar.update({ phase });
    },
    update(done, total) {
      ensure(total);
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function lineProgress(label: string, stream: NodeJS.WriteStream, everyMs = 5000): Progress {
  let lastPhase = '';
  let lastLine = 0;
  const say = (text: string) => stream.write(`${new Date().toISOString()} ${label} ${text}\n`);
  return {
    phase(name) {
      if (name === lastPhase) return;
      lastPhase = name;
      lastLine = Date.now();
      say(name);
    },
    update(done, total) {
      if (Date.now() - lastLine < everyMs && done < total) return;
      lastLine = Date.now();
      const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
      say(`${lastPhase} ${done}/${total} (${pct}%)`);
    },
    stop() {},
  };
}
