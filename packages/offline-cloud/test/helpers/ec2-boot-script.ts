/** A stand-in for the agent: reports its environment, device links and what IMDS says, then idles until killed. */
export const BOOT_SCRIPT = `
const fs = require('fs');
const path = require('path');
const dir = process.env.LIFEBOAT_DEVICE_DIR;
function write(name, value) {
  fs.writeFileSync(name + '.tmp', JSON.stringify(value));
  fs.renameSync(name + '.tmp', name);
}
function devices() {
  return fs.readdirSync(dir).map((n) => [n, fs.readlinkSync(path.join(dir, n))]);
}
async function imds() {
  const base = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  const token = await (await fetch(base + 'latest/api/token', { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
  const get = async (p) => {
    const res = await fetch(base + 'latest/meta-data/' + p, { headers: { 'x-aws-ec2-metadata-token': token } });
    return { status: res.status, body: await res.text() };
  };
  write('imds.json', { id: await get('instance-id'), az: await get('placement/availability-zone'), keys: await get('tags/instance'), role: await get('tags/instance/Role') });
}
console.log('booted ' + process.pid);
write('state.json', { pid: process.pid, env: process.env, cwd: process.cwd(), devices: devices() });
setInterval(() => write('state.json', { pid: process.pid, env: process.env, cwd: process.cwd(), devices: devices() }), 20);
imds().catch((e) => console.log('imds failed ' + e));
`;

/**
 * User data as a worker's: a bash script that fetches the "agent" (BOOT_SCRIPT) with the AWS CLI, installs
 * Node.js with dnf and runs it, all through the offline cloud's stand-ins. Base64, as RunInstances takes it.
 */
export function bootUserData(bucket: string, key: string, extra: string[] = []): string {
  return userDataOf([
    'set -euo pipefail',
    'echo hello',
    ...extra,
    'mkdir -p /opt/agent',
    // the EC2 harness has no IAM, so no instance profile credentials: the command brings its own keys
    `AWS_ACCESS_KEY_ID=harness AWS_SECRET_ACCESS_KEY=harness aws s3 cp s3://${bucket}/${key} /opt/agent/boot.js`,
    'dnf install -y nodejs20',
    'exec node-20 /opt/agent/boot.js',
  ]);
}

/** A `#!/bin/bash` script of these lines, base64. */
export function userDataOf(lines: string[]): string {
  return Buffer.from(['#!/bin/bash', ...lines, ''].join('\n')).toString('base64');
}
