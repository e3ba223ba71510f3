/**
 * GetConsoleOutput: what the instance's boot wrote (its console.log), base64 as AWS returns it, the
 * most recent 64 KiB. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetConsoleOutput.html
 */
import fs from 'node:fs';
import path from 'node:path';
import { AwsError } from '../service';
import { checkInstanceIds } from './ids';
import type { World } from './world';
import type { XmlObject } from './xml';

const MAX_BYTES = 64 * 1024;

export function getConsoleOutput(w: World, instanceDir: (id: string) => string, instanceId: string): XmlObject {
  checkInstanceIds([instanceId]);
  if (!w.model.instances[instanceId]) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  const file = path.join(instanceDir(instanceId), 'console.log');
  let bytes = Buffer.alloc(0);
  let when = new Date(w.ctx.clock.now());
  try {
    bytes = fs.readFileSync(file);
    when = new Date(w.ctx.clock.cloudTimeOf(fs.statSync(file).mtimeMs));
  } catch {
    // nothing written yet: AWS answers with no output
  }
  return { instanceId, timestamp: when.toISOString(), output: bytes.length ? bytes.subarray(-MAX_BYTES).toString('base64') : undefined };
}
