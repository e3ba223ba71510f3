// @ts-check
/**
 * Worker thread that runs s3rver (the npm S3 emulator) on an internal 127.0.0.1 port for src/s3.ts.
 * Plain JavaScript on purpose: a worker starts without the TypeScript loader. Running s3rver on its
 * own thread lets it load (Koa, winston: about a second) while the main thread loads the other
 * emulators, and keeps its MD5 hashing of large objects off the edge's event loop.
 *
 * workerData: { directory }. Messages out: { port } once listening, 'closed' after 'close'.
 */
'use strict';
require('./clock-preload.js'); // first: s3rver's Date is the cloud's (a no-op without LIFEBOAT_CLOCK_FILE)
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const S3rver = require('s3rver');
require('./s3rver-atomic.js');
const accounts = require('s3rver/lib/models/account');

const CREDENTIAL = /Credential=([^/\s,]+)\//;

/** s3rver knows only its own dummy key; the offline cloud accepts any (it never verifies SigV4). */
function registerAccessKey(req) {
  let key = CREDENTIAL.exec(req.headers.authorization || '')?.[1];
  if (!key) {
    const cred = new URL(req.url || '/', 'http://x').searchParams.get('X-Amz-Credential');
    key = cred ? cred.split('/')[0] : undefined;
  }
  if (key && !accounts.registry.has(key)) accounts.DUMMY_ACCOUNT.createKeyPair(key, key);
}

// path-style only (vhostBuckets: false): a Host such as 127.0.0.1:PORT or a machine name never becomes a bucket
const app = new S3rver({ directory: workerData.directory, silent: true, vhostBuckets: false, allowMismatchedSignatures: true });
const serve = app.callback();
const server = http.createServer((req, res) => {
  registerAccessKey(req);
  // node's own Date header keeps this machine's time; S3's says the cloud's, which SDKs correct their clock offset by
  res.setHeader('date', new Date().toUTCString());
  serve(req, res);
});
server.keepAliveTimeout = 65_000; // see src/edge.ts: let clients close idle connections first
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  parentPort?.postMessage({ port: typeof address === 'object' && address ? address.port : 0 });
});
parentPort?.on('message', (message) => {
  if (message !== 'close') return;
  server.closeAllConnections();
  server.close(() => {
    app.logger.close();
    parentPort?.postMessage('closed');
  });
});
