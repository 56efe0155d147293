import { parentPort } from 'node:worker_threads';
import { threadError, type ThreadReply } from './inference-thread-protocol';

/** What a thread's model does with each request; `result` undefined means "no answer expected". */
export interface InferenceThreadModel<Request, Ready, Result, Note> {
  ready: Ready;
  handle(
    request: Request,
    note: (note: Note) => void,
  ): Promise<{ result: Result; transfer?: ArrayBuffer[] } | undefined>;
  release(): Promise<void>;
}

/**
 * Inside an inference thread: opens the model (its warnings go to the owner's log), then answers
 * requests one at a time in arrival order — runs share the model's state (sessions, caches) and
 * ORT runs are synchronous anyway. Requests carrying an `id` get a result or a typed error.
 */
export function serveInferenceThread<
  Request extends { type: string; id?: number },
  Ready,
  Result,
  Note = never,
>(
  open: (warn: (message: string) => void) => Promise<InferenceThreadModel<Request, Ready, Result, Note>>,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveInferenceThread must run in a worker thread');
  const send = (message: ThreadReply<Ready, Result, Note>, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  open((message) => send({ type: 'warn', message })).then(
    (model) => {
      send({ type: 'ready', ready: model.ready });
      let queue = Promise.resolve();
      port.on('message', (request: Request | { type: 'release' }) => {
        if (request.type === 'release') {
          void queue.then(() => model.release()).finally(() => port.close());
          return;
        }
        queue = queue.then(async () => {
          const id = (request as Request).id;
          try {
            const answer = await model.handle(request as Request, (note) => send({ type: 'note', note }));
            if (id !== undefined && answer)
              send({ type: 'result', id, ok: true, result: answer.result }, answer.transfer);
          } catch (err) {
            if (id !== undefined) send({ type: 'result', id, ok: false, error: threadError(err) });
            else send({ type: 'warn', message: `${request.type} failed: ${threadError(err).message}` });
          }
        });
      });
    },
    (err: unknown) => send({ type: 'failed', error: threadError(err) }),
  );
}

/** The array's own buffer when it spans all of it (transferable without a copy), else a copy's. */
export function transferable<T extends Float32Array | Uint16Array>(data: T): T {
  return (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice()) as T;
}
