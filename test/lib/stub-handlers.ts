/**
 * A scratch folder with a one-line stub for every `runtime/handlers/*-handler.ts`, so the security and cdk-nag
 * tests synthesize the whole app (every step anyone has added) in seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STUB_SOURCES } from './template-helpers';

export function stubSources(): { handlersDir: string; agentEntry: string } {
  // NodejsFunction wants entries under the project root; node_modules/.cache is that, and ignored by git
  const cache = path.resolve(__dirname, '../../node_modules/.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'lifeboat-stub-steps-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const steps = path.resolve(__dirname, '../../runtime/handlers');
  for (const file of fs.readdirSync(steps).filter((f) => f.endsWith('-handler.ts'))) {
    fs.writeFileSync(path.join(dir, file), 'export const handler = async (event: unknown) => event;\n');
  }
  return { handlersDir: dir, agentEntry: STUB_SOURCES.agentEntry };
}
