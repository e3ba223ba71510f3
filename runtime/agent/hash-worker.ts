/** A hash worker thread's entry: serves hash-work.ts tasks on its parent port (bundled into the agent by lib/agent-asset.ts). */
import { parentPort } from 'node:worker_threads';
import { serveHashTasks } from './hash-work';

if (!parentPort) throw new Error('hash-worker.ts runs only as a worker thread (hash-pool.ts starts it)');
serveHashTasks(parentPort);
