/**
 * The CDK app as a user runs it: `npx cdk synth` through the CLI, once with a bad config and once with the example.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const CDK = join(ROOT, 'node_modules', '.bin', 'cdk');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `extraEnv` lets the good run skip CDK's built-in schema validation: it doubles the synth time, and the stack tests pin what it checked. */
function cdk(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(CDK, args, { cwd: ROOT, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CI: '1', ...extraEnv } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

const work = mkdtempSync(join(tmpdir(), 'lifeboat-synth-'));
const badConfig = join(work, 'bad.json');
const outDir = join(work, 'cdk.out');
let bad: Run;
let good: Run;

beforeAll(async () => {
  writeFileSync(
    badConfig,
    JSON.stringify({
      siteId: 'site-a',
      vpgs: [
        { name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 1 },
        { name: 'web', instances: { ids: ['i-0123456789abcdef0'] } },
      ],
    }),
  );
  // Both at once: the good one bundles every step and the agent, the bad one stops at the config.
  [bad, good] = await Promise.all([cdk(['synth', '-c', `config=${badConfig}`]), cdk(['synth', '-q', '-o', outDir], { CDK_VALIDATION: 'false' })]);
}, 110_000);

describe('cdk synth', () => {
  it('fails on an invalid config with one readable line per problem', () => {
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Invalid Lifeboat config (2 problems):');
    expect(bad.stderr).toContain(`\n${badConfig}: vpgs[0].syncIntervalMinutes: is wrong; it must be at least 5 minutes`);
    expect(bad.stderr).toContain(`\n${badConfig}: vpgs[1].name: is "web" again (also vpgs[0]); VPG names must be unique in a site\n`);
    // The lines are the message: no stack trace buries them.
    expect(bad.stderr).not.toMatch(/at parseConfig|ConfigError:/);
    expect(bad.stderr).not.toContain('Successfully synthesized');
  });

  it('synthesizes the example config into the site stack and one stack per VPG', () => {
    expect({ code: good.code, stderr: good.code === 0 ? '' : good.stderr }).toEqual({ code: 0, stderr: '' });
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string }> };
    const stacks = Object.entries(manifest.artifacts)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([name]) => name);
    expect(stacks.sort()).toEqual(['Lifeboat-site-a', 'Lifeboat-site-a-web']);
  });

  it('puts the agent bundle in the assembly as a single-file asset', () => {
    const assets = JSON.parse(readFileSync(join(outDir, 'Lifeboat-site-a.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const agent = Object.values(assets.files).filter((f) => f.source.path.endsWith('.js'));
    expect(agent).toHaveLength(1);
    expect(agent[0].source.packaging).toBe('file');
    expect(existsSync(join(outDir, agent[0].source.path))).toBe(true);
  });
});
