import {
  FinishReason,
  type ChatInput,
  type Finish,
  type StreamChatResponse,
  type Usage,
} from '@internvl/contracts';
import type { ChatEngine, ChatRunOptions } from '../../chat/chat-engine';

export type Script = (run: RecordedRun) => AsyncIterable<StreamChatResponse>;

/** One call of the fake engine: what it was given and whether its signal was aborted. */
export class RecordedRun {
  aborted = false;
  abortReason: unknown;
  /** Resolves when the run's signal is aborted. */
  readonly abortedPromise: Promise<void>;

  constructor(
    readonly input: ChatInput,
    readonly options: ChatRunOptions,
  ) {
    this.abortedPromise = new Promise((resolve) => {
      const onAbort = () => {
        this.aborted = true;
        this.abortReason = options.signal.reason;
        resolve();
      };
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A ChatEngine that plays a script and records every call, for specs of the front doors. */
export class FakeChatEngine implements ChatEngine {
  readonly runs: RecordedRun[] = [];
  /** Resolves with each run as it starts (for specs that act mid-stream). */
  private waiters: ((run: RecordedRun) => void)[] = [];

  constructor(public script: Script = answer(['Hello', ', world'])) {}

  get lastInput(): ChatInput {
    const run = this.runs[this.runs.length - 1];
    if (!run) throw new Error('the engine was never called');
    return run.input;
  }

  nextRun(): Promise<RecordedRun> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stream(input: ChatInput, options: ChatRunOptions): AsyncIterable<StreamChatResponse> {
    const run = new RecordedRun(input, options);
    this.runs.push(run);
    for (const waiter of this.waiters.splice(0)) waiter(run);
    return this.script(run);
  }
}

export const USAGE: Usage = { promptTokens: 12, imageTokens: 0, completionTokens: 3, cachedTokens: 0 };

export function delta(text: string): StreamChatResponse {
  return { kind: { $case: 'delta', value: { text, tokenIds: [], logprobs: [], index: 0 } } };
}

export function finish(reason = FinishReason.FINISH_REASON_STOP, usage: Usage = USAGE): StreamChatResponse {
  const value: Finish = { reason, usage, timings: undefined, index: 0 };
  return { kind: { $case: 'finish', value } };
}

/** Yields these deltas then a finish. */
export function answer(texts: string[], reason = FinishReason.FINISH_REASON_STOP): Script {
  return () => events([...texts.map(delta), finish(reason)]);
}

export async function* events(list: StreamChatResponse[]): AsyncIterable<StreamChatResponse> {
  yield* list;
}

/** Yields `first`, then throws `err` (an error in the middle of a stream). */
export function failAfter(first: StreamChatResponse[], err: unknown): Script {
  return async function* () {
    yield* first;
    throw err;
  };
}

/** Yields `first`, then waits until the run is aborted and ends as a real engine would: by throwing. */
export function hangAfter(first: StreamChatResponse[]): Script {
  return async function* (run) {
    yield* first;
    await run.abortedPromise;
    throw new Error('aborted downstream');
  };
}
