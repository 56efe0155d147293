import type { ServerResponse } from 'node:http';
import type { Finish, StreamChatResponse, TokenLogprob } from '@internvl/contracts';
import type { Logger } from '@internvl/service-kit';
import { combinedUsage, type ChatCompletionFormat } from './chat-completion-format';
import { causeOf, finishReasonOf } from './engine-outcome';
import { toOpenAiError } from './openai-errors';
import { openAiLogprobs } from './openai-logprobs';
import { SseWriter } from './sse';

export interface CompletionRun {
  events: AsyncIterable<StreamChatResponse>;
  format: ChatCompletionFormat;
  signal: AbortSignal;
  log: Logger;
  /** The request asked for logprobs: chunks and the completion carry them. */
  logprobs?: boolean;
  /** Called when the first generated text has been written (streamed answers). */
  onFirstToken?: () => void;
}

/**
 * Streams a completion as chat.completion.chunk events. Headers go out with the first engine
 * event, so a request that fails before generating (a bad image, a full queue) still gets a
 * proper HTTP status; after that, a failure is one `data: {"error": ...}` event and the end.
 */
export async function streamCompletion(res: ServerResponse, run: CompletionRun, includeUsage: boolean) {
  const { format, signal, log } = run;
  const sse = new SseWriter(res);
  const begin = async () => {
    if (sse.started) return;
    sse.start({ 'x-request-id': format.id });
    await sse.send(format.roleChunk(includeUsage));
  };
  try {
    // Per choice (n > 1 interleaves them): its finish, and the logprobs of tokens whose text is not
    // out yet (part of a character), which go with its next text.
    const choices: { finish?: Finish; pending: TokenLogprob[] }[] = [];
    const choice = async (index: number) => {
      let c = choices[index];
      if (!c) {
        c = choices[index] = { pending: [] };
        if (index > 0) await sse.send(format.roleChunk(includeUsage, index));
      }
      return c;
    };
    const content = (c: { pending: TokenLogprob[] }, text: string, index: number) => {
      const logprobs = run.logprobs ? openAiLogprobs(c.pending) : null;
      c.pending = [];
      return format.contentChunk(text, includeUsage, logprobs, index);
    };
    for await (const event of run.events) {
      await begin();
      const kind = event.kind;
      if (kind?.$case === 'delta') {
        const { index } = kind.value;
        const c = await choice(index);
        c.pending.push(...kind.value.logprobs);
        if (kind.value.text !== '') {
          await sse.send(content(c, kind.value.text, index));
          run.onFirstToken?.();
        }
      } else if (kind?.$case === 'finish') {
        const { index } = kind.value;
        const c = await choice(index);
        c.finish = kind.value;
        if (run.logprobs && c.pending.length > 0) await sse.send(content(c, '', index));
        await sse.send(format.finishChunk(finishReasonOf(c.finish, signal), includeUsage, index));
      }
    }
    await begin();
    if (choices.length === 0) finishReasonOf(undefined, signal);
    choices.forEach((c) => finishReasonOf(c?.finish, signal));
    const usage = combinedUsage(choices.map((c) => c?.finish));
    if (includeUsage) await sse.send(format.usageChunk(usage));
    await sse.done();
    log.info({ id: format.id, choices: choices.length, usage, stream: true }, 'chat completion');
  } catch (err) {
    const cause = causeOf(err, signal);
    if (!sse.started) throw cause;
    const mapped = toOpenAiError(cause);
    if (mapped.unexpected) log.error({ err: cause, id: format.id }, 'stream failed');
    else
      log.info(
        { id: format.id, status: mapped.status, message: mapped.body.error.message },
        'stream ended early',
      );
    sse.fail(mapped.body);
  }
}
