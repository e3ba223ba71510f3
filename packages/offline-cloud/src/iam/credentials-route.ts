/**
 * POST /_lifeboat/credentials with {"roleArn": "arn:aws:iam::ACCOUNT:role/NAME"} or {"roleName": "NAME"} (default
 * account) → {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"} of a deployed role, as STS AssumeRole
 * would hand them out; requests signed with them are authorized as that role. 404 for a role the assembly did not deploy.
 * {"account": "ACCOUNT"} → {"AccessKeyId", "SecretAccessKey"} of that account's administrator (any 12-digit account).
 */
import type { PathRoute } from '../edge';
import type { CloudResponse } from '../service';
import type { IamRegistry } from './registry';

export const CREDENTIALS_PATH = '/_lifeboat/credentials';

const json = (status: number, value: unknown): CloudResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

export function credentialsRoute(iam: IamRegistry, defaultAccount: string): PathRoute {
  return {
    prefix: CREDENTIALS_PATH,
    handle: async (req) => {
      if (req.path !== CREDENTIALS_PATH) return json(404, { error: `offline cloud: no route ${req.method} ${req.path}` });
      if (req.method !== 'POST') return json(405, { error: 'use POST' });
      let input: { roleArn?: unknown; roleName?: unknown; account?: unknown };
      try {
        input = JSON.parse(req.body.toString('utf8') || '{}') as typeof input;
      } catch {
        return json(400, { error: 'body must be JSON: {"roleArn": "..."} or {"roleName": "..."}' });
      }
      if (input.account !== undefined) {
        // an account's administrator (no role, nothing evaluated in its own account): how a test acts as another account
        if (typeof input.account !== 'string' || !/^\d{12}$/.test(input.account)) return json(400, { error: 'account must be 12 digits' });
        return json(200, iam.adminCredentialsFor(input.account));
      }
      const role =
        typeof input.roleArn === 'string'
          ? iam.roleByArn(input.roleArn)
          : typeof input.roleName === 'string'
            ? iam.role(defaultAccount, input.roleName)
            : undefined;
      if (input.roleArn === undefined && input.roleName === undefined) return json(400, { error: 'name a role: {"roleArn": "..."} or {"roleName": "..."}' });
      if (!role) return json(404, { error: `no deployed role ${String(input.roleArn ?? input.roleName)}` });
      const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = iam.credentialsFor(role);
      return json(200, { AccessKeyId, SecretAccessKey, SessionToken, Expiration });
    },
  };
}
