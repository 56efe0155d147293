// Test helper: a scripted ChatService on a free port, recording what it was asked.
import {
  Server,
  ServerCredentials,
  type Metadata,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  ChatServiceService,
  FinishReason,
  type Finish,
  type StreamChatRequest,
  type StreamChatResponse,
  type TextDelta,
} from '@internvl/contracts';

export type StreamChatCall = ServerWritableStream<StreamChatRequest, StreamChatResponse>;

export interface ReceivedCall {
  request: StreamChatRequest;
  metadata: Metadata;
  /** Resolves when the client cancels the call. */
  cancelled: Promise<void>;
}

export interface FakeGateway {
  addr: string;
  calls: ReceivedCall[];
  close(): Promise<void>;
}

export const FAKE_PROMPT = {
  text: '<|im_start|>user\n<image>\n图里是什么？<|im_end|>',
  inputIds: [1, 2, 3, 92544],
};

/** Chinese, an emoji split across two deltas (the first with ids but no text), and ASCII. */
export const FAKE_DELTAS: TextDelta[] = [
  { text: '这是一只', tokenIds: [101, 102], logprobs: [], index: 0 },
  { text: '', tokenIds: [103], logprobs: [], index: 0 },
  { text: '🐼 熊猫', tokenIds: [104, 105], logprobs: [], index: 0 },
  { text: ' (panda).', tokenIds: [106], logprobs: [], index: 0 },
];

export const FAKE_ANSWER = FAKE_DELTAS.map((d) => d.text).join('');

export const FAKE_FINISH: Finish = {
  reason: FinishReason.FINISH_REASON_STOP,
  usage: { promptTokens: 1800, imageTokens: 1792, completionTokens: 6, cachedTokens: 0 },
  timings: { queueMs: 1.5, timeToFirstTokenMs: 40, timePerOutputTokenMs: 12.5, totalMs: 110 },
  index: 0,
};

/** The scripted answer: PromptInfo (when asked for), the deltas, then the finish. */
export function answerScript(finish: Finish = FAKE_FINISH): (call: StreamChatCall) => void {
  return (call) => {
    if (call.request.returnPrompt) call.write({ kind: { $case: 'prompt', value: FAKE_PROMPT } });
    for (const delta of FAKE_DELTAS) call.write({ kind: { $case: 'delta', value: delta } });
    call.write({ kind: { $case: 'finish', value: finish } });
    call.end();
  };
}

/** Fails the call with a gRPC status, as the gateway does for its own or a downstream tier's error. */
export function errorScript(code: number, details: string): (call: StreamChatCall) => void {
  return (call) => {
    call.emit('error', Object.assign(new Error(details), { code, details }) as ServiceError);
  };
}

/** Streams the first delta, then waits for the client to cancel. */
export function hangScript(): (call: StreamChatCall) => void {
  return (call) => {
    call.write({ kind: { $case: 'delta', value: FAKE_DELTAS[0]! } });
  };
}

export async function startFakeGateway(script: (call: StreamChatCall) => void): Promise<FakeGateway> {
  const calls: ReceivedCall[] = [];
  const server = new Server();
  const unimplemented = (_call: unknown, callback: (err: Partial<ServiceError>) => void) =>
    callback({ code: 12, details: 'not in the fake' });
  server.addService(ChatServiceService, {
    streamChat(call: StreamChatCall) {
      const cancelled = new Promise<void>((resolve) => call.once('cancelled', () => resolve()));
      calls.push({ request: call.request, metadata: call.metadata, cancelled });
      script(call);
    },
    chat: unimplemented,
    batchChat: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    addr: `127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
