/**
 * A hand-written cloud assembly of IAM resources for the offline cloud's IAM tests (no cdk synth: a few roles,
 * a managed policy, an instance profile, a bucket and its policy), and credentials for its roles from the
 * cloud's credentials route.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

export const BUCKET = 'iam-test-bucket';
const TRUST = (service: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

export function role(name: string, service: string, statements: unknown[], extra: Record<string, unknown> = {}) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: name,
      AssumeRolePolicyDocument: TRUST(service),
      ...(statements.length ? { Policies: [{ PolicyName: 'main', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] } : {}),
      ...extra,
    },
  };
}

/** Writes manifest.json and one stack's template into a fresh folder; returns the folder. */
export function writeAssembly(resources: Resources, stackName = 'IamTest'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-iam-assembly-'));
  fs.writeFileSync(path.join(dir, `${stackName}.template.json`), JSON.stringify({ Resources: resources }));
  const manifest = {
    version: '36.0.0',
    artifacts: {
      [stackName]: {
        type: 'aws:cloudformation:stack',
        environment: 'aws://unknown-account/unknown-region',
        properties: { templateFile: `${stackName}.template.json` },
      },
    },
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

export interface RoleCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

export async function credentialsOf(url: string, body: { roleArn?: string; roleName?: string }): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/_lifeboat/credentials`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** SDK client credentials of a deployed role. */
export async function roleCredentials(url: string, roleName: string) {
  const { status, json } = await credentialsOf(url, { roleName });
  if (status !== 200) throw new Error(`no credentials for ${roleName}: ${status} ${JSON.stringify(json)}`);
  const c = json as RoleCredentials;
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}
