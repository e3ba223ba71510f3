/**
 * docs/architecture.md's arrows that must never exist, checked on the import statements of every source file:
 * core stays pure, only adapters import the AWS SDK, runtime code never imports CDK, and the offline
 * cloud (its own package, packages/offline-cloud) knows nothing of Lifeboat.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    specs.push(m[1] ?? m[2] ?? m[3]);
  }
  return specs;
}

/** The project folder an import points into ('runtime/aws', 'lib', …), or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec));
}

function violations(dir: string, forbidden: (t: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((f) =>
    importsOf(f)
      .filter((s) => forbidden(target(f, s)))
      .map((s) => `${f} imports ${s}`),
  );
}

describe('layering (docs/architecture.md)', () => {
  it('runtime/core does no I/O: no SDK, no adapters, no fs/net/child processes', () => {
    const io =
      /^(@aws-sdk\/|@smithy\/|node:(fs|net|http|https|child_process|worker_threads)|fs$|net$|http$|https$|child_process$|runtime\/aws|runtime\/agent|runtime\/handlers)/;
    expect(violations('runtime/core', (t) => io.test(t))).toEqual([]);
  });

  it('only runtime/aws imports the AWS SDK', () => {
    const sdk = (t: string) => t.startsWith('@aws-sdk/');
    expect([...violations('runtime/core', sdk), ...violations('runtime/handlers', sdk), ...violations('runtime/agent', sdk)]).toEqual([]);
  });

  it('only runtime/handlers imports Powertools: the agent (and the S3 store it bundles) is no Lambda function', () => {
    const powertools = (t: string) => t.startsWith('@aws-lambda-powertools/');
    expect(['runtime/core', 'runtime/aws', 'runtime/agent'].flatMap((d) => violations(d, powertools))).toEqual([]);
    expect(violations('runtime/handlers', powertools).length).toBeGreaterThan(0);
  });

  it('runtime code never imports CDK or lib/', () => {
    const cdk = (t: string) => t === 'aws-cdk-lib' || t.startsWith('aws-cdk-lib/') || t === 'constructs' || t === 'lib' || t.startsWith('lib/');
    expect(violations('runtime', cdk)).toEqual([]);
  });

  it('the offline cloud knows nothing of Lifeboat (no runtime/, lib/, bin/ or test/ imports; no CDK in its sources)', () => {
    const product = (t: string) => /^(runtime|lib|bin|test)(\/|$)/.test(t);
    const cdk = (t: string) => t === 'aws-cdk-lib' || t.startsWith('aws-cdk-lib/');
    expect(violations('packages/offline-cloud/src', (t) => product(t) || cdk(t))).toEqual([]);
    // its tests build their own CDK fixture app, but never reach into the product either
    expect(violations('packages/offline-cloud/test', product)).toEqual([]);
  });

  it('the product reaches the offline cloud only through its package name, never by a relative path', () => {
    const intoPackage = (t: string) => t.startsWith('packages/');
    expect(['bin', 'lib', 'runtime', 'test'].flatMap((d) => violations(d, intoPackage))).toEqual([]);
  });
});
