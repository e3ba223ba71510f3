/** Where a volume's block device appears on this instance, and waiting for it (attach can land after boot). */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DEVICE_DIR_DEFAULT, DEVICE_DIR_ENV, deviceLinkName } from '../core/workers/agent-job';

export function devicePathFor(volumeId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env[DEVICE_DIR_ENV] ?? DEVICE_DIR_DEFAULT, deviceLinkName(volumeId));
}

export async function waitForDevice(path: string, volumeId: string, timeoutMs = 120_000, pollMs = 500): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await access(path);
      return path;
    } catch {
      if (Date.now() >= deadline) throw new Error(`device of volume ${volumeId} did not appear at ${path} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
    }
  }
}
