/**
 * Stand-in for the AWS CLI v2 on Amazon Linux 2023: only `aws s3 cp s3://BUCKET/KEY FILE` (and FILE to
 * s3://), with the instance's credentials from IMDS (the SDK's default chain, as the CLI's) and through the
 * instance's network interface (AWS_ENDPOINT_URL). Failures print as the CLI prints them and exit 1:
 *   fatal error: Connect timeout on endpoint URL: "https://BUCKET.s3.REGION.amazonaws.com/KEY"
 *   fatal error: An error occurred (404) when calling the HeadObject operation: Key "KEY" does not exist
 *   fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden
 * The CLI's connect timeout is 60 s (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-options.html,
 * --cli-connect-timeout); the CLI's own retries of it are not modelled (one attempt).
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { S3Client, HeadObjectCommand, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
const { settings, ConnectTimeout, withConnectTimeout } = require('./connect.js');

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parse(argv) {
  const args = [];
  let region = settings.region;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--region') region = argv[++i];
    else if (argv[i] === '--quiet' || argv[i] === '--only-show-errors' || argv[i] === '--no-progress') continue;
    else args.push(argv[i]);
  }
  return { args, region };
}

const S3_URL = /^s3:\/\/([^/]+)\/(.+)$/;

async function main() {
  const { args, region } = parse(process.argv.slice(2));
  if (args[0] !== 's3' || args[1] !== 'cp' || args.length !== 4) {
    // https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html: 252, the command could not be parsed
    fail(`aws: the offline cloud's stand-in runs only 'aws s3 cp SOURCE DEST' (got: aws ${process.argv.slice(2).join(' ')})`, 252);
  }
  const [src, dest] = [args[2], args[3]];
  const from = S3_URL.exec(src);
  const to = S3_URL.exec(dest);
  if (!from === !to) fail(`aws: exactly one of SOURCE and DEST must be an s3:// URL`, 252);
  const [, bucket, key] = from ?? to;
  const s3 = new S3Client({ region, endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true, maxAttempts: 1 });
  const operation = from ? 'HeadObject' : 'PutObject';
  try {
    await withConnectTimeout(async (abortSignal) => {
      if (from) {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
        const file = dest.endsWith('/') ? path.join(dest, path.basename(key)) : dest;
        fs.writeFileSync(file, await got.Body.transformToByteArray());
        process.stdout.write(`download: ${src} to ${dest}\n`);
      } else {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(src) }), { abortSignal });
        process.stdout.write(`upload: ${src} to ${dest}\n`);
      }
    });
  } catch (err) {
    if (err && err.name === 'CredentialsProviderError') {
      // https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html: 253, the configuration (credentials) is invalid
      fail('Unable to locate credentials. You can configure credentials by running "aws configure".', 253);
    }
    if (err instanceof ConnectTimeout) fail(`fatal error: Connect timeout on endpoint URL: "https://${bucket}.s3.${region}.amazonaws.com/${key}"`);
    const status = err && err.$metadata && err.$metadata.httpStatusCode;
    if (status === 404) fail(`fatal error: An error occurred (404) when calling the ${operation} operation: Key "${key}" does not exist`);
    if (status === 403) fail(`fatal error: An error occurred (403) when calling the ${operation} operation: Forbidden`);
    if (status) fail(`fatal error: An error occurred (${err.name || status}) when calling the ${operation} operation: ${err.message}`);
    fail(`fatal error: ${err && err.message ? err.message : String(err)}`);
  } finally {
    s3.destroy();
  }
}

main();
