import type { ServerResponse } from 'node:http';
import type { Finish, StreamChatResponse } from '@internvl/contracts';
import type { Logger } from '@internvl/service-kit';
import type { ChatCompletionFormat } from './chat-completion-format';
import { causeOf, finishReasonOf } from './engine-outcome';
import { toOpenAiError } from './openai-errors';
import { SseWriter } from './sse';

export interface CompletionRun {
  events: AsyncIterable<StreamChatResponse>;
  format: ChatCompletionFormat;
  signal: AbortSignal;
  log: Logger;
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
    let finish: Finish | undefined;
    for await (const event of run.events) {
      await begin();
      const kind = event.kind;
      if (kind?.$case === 'delta' && kind.value.text !== '') {
        await sse.send(format.contentChunk(kind.value.text, includeUsage));
      } else if (kind?.$case === 'finish') {
        finish = kind.value;
      }
    }
    const reason = finishReasonOf(finish, signal);
    await begin();
    await sse.send(format.finishChunk(reason, includeUsage));
    const usage = finish?.usage;
    if (includeUsage) await sse.send(format.usageChunk(usage));
    await sse.done();
    log.info({ id: format.id, finish_reason: reason, usage, stream: true }, 'chat completion');
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
