/**
 * Reads a cloud assembly (cdk.out): its stacks in deployment order and the file assets they publish.
 * Pure apart from reading files.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where a stack deploys: manifest.json's `aws://ACCOUNT/REGION`; unset parts are environment-agnostic. */
export interface StackEnvironment {
  account?: string;
  region?: string;
}

export interface StackArtifact {
  id: string;
  stackName: string;
  templateFile: string;
  template: Template;
  dependencies: string[];
  environment: StackEnvironment;
  /** Ids of the asset manifests the stack depends on (its file assets). */
  assetManifests: string[];
}

export interface Template {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown }; Condition?: string }>;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  Metadata?: Record<string, unknown>;
}

export interface FileAsset {
  id: string;
  /** The asset manifest artifact listing it (a stack depends on its own). */
  manifestId: string;
  /** Absolute path of the file or folder. */
  sourcePath: string;
  packaging: 'file' | 'zip';
  destinations: { bucketName: string; objectKey: string }[];
}

interface ManifestArtifact {
  type: string;
  environment?: string;
  properties?: { templateFile?: string; stackName?: string; file?: string };
  dependencies?: string[];
  displayName?: string;
}

export interface Assembly {
  dir: string;
  stacks: StackArtifact[];
  assets: FileAsset[];
}

export function readAssembly(dir: string): Assembly {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  const artifacts = manifest.artifacts ?? {};
  const stacks: StackArtifact[] = [];
  const assets: FileAsset[] = [];
  for (const [id, a] of Object.entries(artifacts)) {
    if (a.type === 'aws:cloudformation:stack' && a.properties?.templateFile) {
      const templateFile = path.join(dir, a.properties.templateFile);
      stacks.push({
        id,
        stackName: a.properties.stackName ?? id,
        templateFile,
        template: JSON.parse(fs.readFileSync(templateFile, 'utf8')) as Template,
        dependencies: (a.dependencies ?? []).filter((d) => artifacts[d]?.type === 'aws:cloudformation:stack'),
        environment: parseEnvironment(a.environment),
        assetManifests: (a.dependencies ?? []).filter((d) => artifacts[d]?.type === 'cdk:asset-manifest'),
      });
    } else if (a.type === 'cdk:asset-manifest' && a.properties?.file) {
      assets.push(...readAssetManifest(dir, path.join(dir, a.properties.file), id));
    }
  }
  return { dir, stacks: inDependencyOrder(stacks), assets };
}

/** `aws://123456789012/eu-west-1`; `unknown-account` / `unknown-region` stand for environment-agnostic. */
export function parseEnvironment(env: string | undefined): StackEnvironment {
  const m = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(env ?? '');
  if (!m) return {};
  return { account: m[1] === 'unknown-account' ? undefined : m[1], region: m[2] === 'unknown-region' ? undefined : m[2] };
}

function readAssetManifest(dir: string, file: string, manifestId: string): FileAsset[] {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    files?: Record<string, { source: { path?: string; packaging?: string }; destinations: Record<string, { bucketName: string; objectKey: string }> }>;
  };
  return Object.entries(doc.files ?? {})
    .filter(([, f]) => f.source.path)
    .map(([id, f]) => ({
      id,
      manifestId,
      sourcePath: path.resolve(dir, f.source.path!),
      packaging: f.source.packaging === 'zip' ? 'zip' : 'file',
      destinations: Object.values(f.destinations).map((d) => ({ bucketName: d.bucketName, objectKey: d.objectKey })),
    }));
}

/** Stacks ordered so each comes after the stacks it depends on (as `cdk deploy --all` does). */
export function inDependencyOrder<T extends { id: string; dependencies: string[] }>(items: T[]): T[] {
  const byId = new Map(items.map((s) => [s.id, s]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (s: T) => {
    if (done.has(s.id)) return;
    if (visiting.has(s.id)) throw new Error(`dependency cycle at ${s.id}`);
    visiting.add(s.id);
    for (const d of s.dependencies) {
      const dep = byId.get(d);
      if (dep) visit(dep);
    }
    visiting.delete(s.id);
    done.add(s.id);
    out.push(s);
  };
  items.forEach(visit);
  return out;
}

/** Replaces the ${AWS::AccountId}/${AWS::Region}/${AWS::Partition} placeholders of asset destinations. */
export function fillPlaceholders(text: string, accountId: string, region: string): string {
  return text
    .replace(/\$\{AWS::AccountId\}/g, accountId)
    .replace(/\$\{AWS::Region\}/g, region)
    .replace(/\$\{AWS::Partition\}/g, 'aws');
}
