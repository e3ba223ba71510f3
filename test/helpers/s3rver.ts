/**
 * s3rver on 127.0.0.1, port 0, in a temp dir, for tests. `stop()` drops every open connection (a dead store
 * must look dead to keep-alive clients too); `restart()` brings the same data back on the same port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { makeAgentS3Client } from '../../runtime/aws/agent-s3-client';
const S3rver = require('s3rver');

export interface TestS3 {
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  readonly bucket: string;
  /** `agent`: the zSAT/ZImporter's own client (unsigned payloads, no flexible checksums), as the agent runs it. */
  client(options?: { maxAttempts?: number; agent?: boolean }): S3Client;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stop and remove the data. */
  close(): Promise<void>;
}

export async function startS3(bucket = 'lifeboat-test'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  let instance: { run(): Promise<{ port: number }>; close(): Promise<void>; httpServer: Server } | null = null;
  const launch = async (port: number): Promise<number> => {
    instance = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
    const address = await instance!.run();
    return address.port;
  };
  const port = await launch(0);
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const stop = async (): Promise<void> => {
    if (!instance) return;
    const current = instance;
    instance = null;
    current.httpServer.closeAllConnections();
    await current.close();
  };
  return {
    endpoint,
    port,
    directory,
    bucket,
    client(options = {}) {
      const config = {
        endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        maxAttempts: options.maxAttempts ?? 3,
      };
      const c = options.agent ? makeAgentS3Client(config) : new S3Client(config);
      clients.push(c);
      return c;
    },
    stop,
    async restart() {
      await stop();
      await launch(port);
    },
    async close() {
      for (const c of clients) c.destroy();
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
