/**
 * What cloud-init makes of an instance's user data (base64 in RunInstances and launch templates):
 * a script (`#!…`) runs once, at the instance's first boot, as root; its output goes to
 * /var/log/cloud-init-output.log and the console (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html,
 * https://cloudinit.readthedocs.io/en/latest/reference/user_files.html). The offline cloud runs scripts only:
 * MIME multi-part and cloud-config user data are refused loudly on the console, not ignored.
 */
export type UserDataKind = { kind: 'none' } | { kind: 'script'; text: string } | { kind: 'unsupported'; what: string };

export function classifyUserData(base64: string | undefined): UserDataKind {
  if (!base64) return { kind: 'none' };
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (text.trim() === '') return { kind: 'none' };
  if (text.startsWith('#!')) return { kind: 'script', text };
  if (text.startsWith('#cloud-config')) return { kind: 'unsupported', what: 'cloud-config user data' };
  if (/^Content-Type:\s*multipart\//im.test(text.slice(0, 512))) return { kind: 'unsupported', what: 'MIME multi-part user data' };
  if (text.startsWith('#include') || text.startsWith('#cloud-boothook') || text.startsWith('#part-handler')) {
    return { kind: 'unsupported', what: `'${text.split('\n')[0]}' user data` };
  }
  // cloud-init ignores user data of no type it knows (with a warning in its log)
  return { kind: 'unsupported', what: 'user data that is neither a script (#!) nor a cloud-init format' };
}
