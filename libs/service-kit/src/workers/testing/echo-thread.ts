// A test inference thread: 'echo' doubles the values, 'fail' throws a typed error, 'crash' kills
// the thread, 'count' answers how many requests it has seen (state that a restart loses).
import { workerData } from 'node:worker_threads';
import { InvalidArgumentError } from '@internvl/errors';
import { serveInferenceThread, transferable } from '../serve-inference-thread';

export type EchoRequest =
  | { type: 'echo'; id: number; values: Float32Array }
  | { type: 'fail'; id: number }
  | { type: 'crash'; id: number }
  | { type: 'count'; id: number }
  | { type: 'poke' };

let seen = 0;
serveInferenceThread<EchoRequest, { label: string }, Float32Array | number, number>(async (warn) => {
  const { failOpen } = workerData as { failOpen?: boolean };
  if (failOpen) throw new InvalidArgumentError('cannot open the test model');
  warn('opened the test model');
  return {
    ready: { label: 'echo' },
    async handle(request, note) {
      seen++;
      switch (request.type) {
        case 'echo': {
          const out = transferable(request.values.map((v) => v * 2));
          return { result: out, transfer: [out.buffer as ArrayBuffer] };
        }
        case 'fail':
          throw new InvalidArgumentError('the test request is bad');
        case 'crash':
          process.exit(3);
          break;
        case 'count':
          return { result: seen };
        case 'poke':
          note(seen);
          return undefined;
      }
    },
    release: async () => {},
  };
});
