/**
 * The IMDSv2 subset a booted instance's agent uses, under `/_imds/<instanceId>/`:
 * PUT latest/api/token; GET latest/meta-data/{instance-id, placement/availability-zone,
 * placement/region, tags/instance, tags/instance/<key>}. Tags are served only when the instance's
 * MetadataOptions.InstanceMetadataTags is 'enabled', as in AWS. An instance launched with an instance profile
 * gets its role's credentials at iam/security-credentials/ (src/iam/imds-credentials.ts); one without has none.
 */
import { randomBytes } from 'node:crypto';
import { type CloudClock, REAL_TIME } from '../clock';
import type { PathRoute } from '../edge';
import type { CloudResponse } from '../service';
import type { Ec2Service } from './regional';
import type { IamRegistry } from '../iam/registry';
import { instanceCredentials } from '../iam/imds-credentials';

export const IMDS_PREFIX = '/_imds/';
const TEXT = { 'content-type': 'text/plain' };
const MAX_TTL_SECONDS = 21600;

const text = (status: number, body: string): CloudResponse => ({ status, headers: TEXT, body });
const notFound = () => text(404, 'Not Found');

export function imdsRoute(ec2: Ec2Service, iam?: IamRegistry, clock: CloudClock = REAL_TIME): PathRoute {
  const tokens = new Map<string, { instanceId: string; expires: number }>();
  return {
    prefix: IMDS_PREFIX,
    handle: async (req) => {
      const [instanceId, ...rest] = req.path.slice(IMDS_PREFIX.length).split('/').filter(Boolean);
      const path = rest.join('/');
      const meta = instanceId ? ec2.instanceMetadata(instanceId) : undefined;
      if (!meta || meta.state !== 'running' || meta.metadataOptions.httpEndpoint === 'disabled') return notFound();

      if (path === 'latest/api/token') {
        if (req.method !== 'PUT') return text(405, 'Method Not Allowed');
        const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) return text(400, 'Bad Request');
        const token = randomBytes(24).toString('base64');
        tokens.set(token, { instanceId, expires: clock.now() + ttl * 1000 });
        return { status: 200, headers: { ...TEXT, 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) }, body: token };
      }
      if (req.method !== 'GET') return text(405, 'Method Not Allowed');
      const given = req.headers['x-aws-ec2-metadata-token'];
      const token = typeof given === 'string' ? tokens.get(given) : undefined;
      if (given !== undefined && (!token || token.instanceId !== instanceId || token.expires < clock.now())) return text(401, 'Unauthorized');
      if (given === undefined && meta.metadataOptions.httpTokens === 'required') return text(401, 'Unauthorized');

      if (path === 'latest/meta-data/instance-id') return text(200, meta.instanceId);
      if (path === 'latest/meta-data/placement/availability-zone') return text(200, meta.availabilityZone);
      if (path === 'latest/meta-data/placement/region') return text(200, meta.availabilityZone.slice(0, -1));
      if (path === 'latest/meta-data/tags/instance' || path.startsWith('latest/meta-data/tags/instance/')) {
        if (meta.metadataOptions.instanceMetadataTags !== 'enabled') return notFound();
        if (path === 'latest/meta-data/tags/instance') return text(200, meta.tags.map((t) => t.Key).join('\n'));
        const key = decodeURIComponent(path.slice('latest/meta-data/tags/instance/'.length));
        const tag = meta.tags.find((t) => t.Key === key);
        return tag ? text(200, tag.Value) : notFound();
      }
      if (path === 'latest/meta-data/iam/security-credentials' || path.startsWith('latest/meta-data/iam/security-credentials/')) {
        const answer = iam && instanceCredentials(iam, meta.iamInstanceProfileArn, path.slice('latest/meta-data/iam/security-credentials/'.length));
        return answer ? { status: 200, headers: answer.json ? { 'content-type': 'application/json' } : TEXT, body: answer.body } : notFound();
      }
      return notFound();
    },
  };
}
