/** Synthesizes the CDK app for a config into a cloud assembly, exactly as a user's `npx cdk synth` does. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

export async function synthesize(configPath: string, outDir: string): Promise<void> {
  const cdk = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  const args = ['synth', '-q', '-o', outDir, '-c', `config=${path.resolve(configPath)}`];
  const stderr: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(cdk, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`cdk synth failed (exit ${code}):\n${Buffer.concat(stderr).toString().trim()}`);
}
