/**
 * Stand-in for dnf on Amazon Linux 2023: `dnf install [-y] PACKAGE...` for the packages it knows (Node.js 20, 22
 * and 24 are namespaced: nodejs24 installs `node-24`; nodejs is the historical 18 and installs `node`;
 * https://docs.aws.amazon.com/linux/al2023/ug/nodejs.html),
 * which run this machine's node. AL2023's repositories are S3 buckets (al2023-repos-REGION-…), reached over the
 * instance's path to S3: an internet gateway, a NAT gateway or an S3 gateway endpoint
 * (https://repost.aws/knowledge-center/ec2-al1-al2-update-yum-without-internet). Without one, dnf fails as it
 * does there, after the timeout, exit 1. Any answer from S3 counts as the repository answering: the packages'
 * contents are not emulated.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { S3Client, HeadBucketCommand } = require('@aws-sdk/client-s3');
const { settings, ConnectTimeout, withConnectTimeout } = require('./connect.js');

/** Package → the commands it puts on PATH. */
const PACKAGES = {
  nodejs20: ['node-20'],
  nodejs22: ['node-22'],
  nodejs24: ['node-24'],
  nodejs: ['node'],
  'nodejs20-npm': [],
  'nodejs22-npm': [],
  'nodejs24-npm': [],
  'nodejs-npm': [],
};
const REPO_BUCKET = `al2023-repos-${settings.region}-de612dc2`;
const MIRROR_LIST = `https://${REPO_BUCKET}.s3.dualstack.${settings.region}.amazonaws.com/core/mirrors/latest/x86_64/mirror.list`;

function out(line) {
  process.stdout.write(`${line}\n`);
}

/** Reaches the repository bucket through the instance's interface: signed for s3, so the interface routes it as S3 traffic. */
async function reachRepository() {
  const s3 = new S3Client({
    region: settings.region,
    endpoint: process.env.AWS_ENDPOINT_URL,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'anonymous', secretAccessKey: 'anonymous' },
  });
  try {
    await withConnectTimeout((abortSignal) => s3.send(new HeadBucketCommand({ Bucket: REPO_BUCKET }), { abortSignal }));
  } catch (err) {
    if (err instanceof ConnectTimeout) return false;
    // an S3 error answer (no such bucket, access denied) still came back over the network
  } finally {
    s3.destroy();
  }
  return true;
}

async function main() {
  const argv = process.argv.slice(2).filter((a) => a !== '-y' && a !== '--assumeyes' && a !== '-q');
  const [command, ...names] = argv;
  if (command !== 'install' || names.length === 0) {
    process.stderr.write(`dnf: the offline cloud's stand-in runs only 'dnf install [-y] PACKAGE...'\n`);
    process.exit(1);
  }
  if (!(await reachRepository())) {
    const seconds = Math.round(settings.connectTimeoutMs / 1000);
    out(`Amazon Linux 2023 repository                    0.0  B/s |   0  B     00:${String(seconds).padStart(2, '0')}`);
    out(`Errors during downloading metadata for repository 'amazonlinux':`);
    out(`  - Curl error (28): Timeout was reached for ${MIRROR_LIST} [Connection timed out after ${settings.connectTimeoutMs} milliseconds]`);
    out(`Error: Failed to download metadata for repo 'amazonlinux': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried`);
    process.exit(1);
  }
  const unknown = names.filter((n) => !(n in PACKAGES));
  if (unknown.length) {
    for (const n of unknown) out(`No match for argument: ${n}`);
    process.stderr.write(`Error: Unable to find a match: ${unknown.join(' ')}\n`);
    process.exit(1);
  }
  const bin = path.join(settings.guestDir, 'usr', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const n of names) {
    for (const cmd of PACKAGES[n]) {
      fs.writeFileSync(path.join(bin, cmd), `#!/bin/sh\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
    }
  }
  out(`Installed:\n  ${names.join(' ')}\n\nComplete!`);
}

main();
