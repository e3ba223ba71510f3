/**
 * The guest's scheduled shutdown (guest/shutdown.js writes <guest>/run/shutdown.json, as systemd keeps
 * /run/systemd/shutdown/scheduled): watched per running instance; when its time comes the OS powers off, and
 * EC2 stops or terminates the instance per InstanceInitiatedShutdownBehavior
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_ChangingInstanceInitiatedShutdownBehavior.html).
 * The schedule is on the cloud clock (the stand-in's Date is the cloud's) and follows a new scale.
 */
import { type CloudClock, CloudTimers } from '../clock';
import fs from 'node:fs';
import path from 'node:path';

interface Watched {
  file: string;
  cancel?: () => void;
  listener: () => void;
}

export class ShutdownWatch {
  private readonly watched = new Map<string, Watched>();
  /** A pending power-off keeps no stopped cloud's process alive. */
  private readonly timers: CloudTimers;

  constructor(
    private readonly guestDir: (instanceId: string) => string,
    private readonly powerOff: (instanceId: string) => void,
    /** The guest's `shutdown` writes its time on the cloud clock (its Date is the cloud's: clock-preload.js). */
    clock: CloudClock,
  ) {
    this.timers = new CloudTimers(clock, { unref: true });
  }

  watch(instanceId: string): void {
    if (this.watched.has(instanceId)) return;
    const file = path.join(this.guestDir(instanceId), 'run', 'shutdown.json');
    const w: Watched = { file, listener: () => this.schedule(instanceId, w) };
    this.watched.set(instanceId, w);
    fs.watchFile(file, { interval: 100, persistent: false }, w.listener);
    this.schedule(instanceId, w); // a schedule from before a cloud restart still holds
  }

  private schedule(instanceId: string, w: Watched): void {
    w.cancel?.();
    w.cancel = undefined;
    let at: number;
    try {
      at = (JSON.parse(fs.readFileSync(w.file, 'utf8')) as { at: number }).at;
    } catch {
      return; // none scheduled, or cancelled (shutdown -c)
    }
    w.cancel = this.timers.at(at, () => {
      if (this.watched.get(instanceId) !== w) return;
      fs.rmSync(w.file, { force: true });
      this.unwatch(instanceId);
      this.powerOff(instanceId);
    });
  }

  unwatch(instanceId: string): void {
    const w = this.watched.get(instanceId);
    if (!w) return;
    this.watched.delete(instanceId);
    w.cancel?.();
    fs.unwatchFile(w.file, w.listener);
  }

  close(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    this.timers.close();
  }
}
