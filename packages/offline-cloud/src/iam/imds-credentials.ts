/**
 * IMDS' credentials items for an instance launched with an instance profile
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html):
 * `iam/security-credentials/` lists the role's name; `iam/security-credentials/ROLE` answers
 * {Code, LastUpdated, Type, AccessKeyId, SecretAccessKey, Token, Expiration}. No profile (or another name): none.
 */
import type { IamRegistry } from './registry';

export function instanceCredentials(iam: IamRegistry, profileArn: string | undefined, roleName: string): { body: string; json: boolean } | undefined {
  const role = profileArn ? iam.roleOfInstanceProfile(profileArn) : undefined;
  if (!role) return undefined;
  if (roleName === '') return { body: role.roleName, json: false };
  if (roleName !== role.roleName) return undefined;
  const creds = iam.credentialsFor(role);
  const body = {
    Code: 'Success',
    LastUpdated: iam.clock.nowIso().replace(/\.\d{3}Z$/, 'Z'),
    Type: 'AWS-HMAC',
    AccessKeyId: creds.AccessKeyId,
    SecretAccessKey: creds.SecretAccessKey,
    Token: creds.SessionToken,
    Expiration: creds.Expiration,
  };
  return { body: JSON.stringify(body, null, 2), json: true };
}
