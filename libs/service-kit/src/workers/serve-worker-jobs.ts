import { parentPort, type Transferable } from 'node:worker_threads';
import type { WorkerJob, WorkerReply } from './worker-pool';

/**
 * Inside a pool worker: answers every job with `handle`'s output (and the buffers to transfer
 * back), or with the error's name, kind and message so the pool can rebuild a typed error.
 */
export function serveWorkerJobs<I, O>(
  handle: (
    input: I,
  ) => { output: O; transfer: Transferable[] } | Promise<{ output: O; transfer: Transferable[] }>,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerJobs must run in a worker thread');
  port.on('message', async (job: WorkerJob<I>) => {
    let reply: WorkerReply<O>;
    let transfer: Transferable[] = [];
    try {
      const result = await handle(job.input);
      reply = { id: job.id, ok: true, output: result.output };
      transfer = result.transfer;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = {
        id: job.id,
        ok: false,
        error: { name: e.name, kind: (e as { kind?: string }).kind, message: e.message },
      };
    }
    // The worker's own share (process.memoryUsage().rss is the whole process's): the pool may
    // replace a worker over its memory bound.
    const memory = process.memoryUsage();
    reply.memoryBytes = memory.heapUsed + memory.external + memory.arrayBuffers;
    port.postMessage(reply, transfer as never);
  });
}
