import type { ServerResponse } from 'node:http';
import type { Finish, TokenLogprob } from '@internvl/contracts';
import type { ChatEngine } from '../chat/chat-engine';
import { ChatCompletionFormat, combinedUsage } from './chat-completion-format';
import { parseChatCompletionRequest } from './chat-completion-request';
import { streamCompletion, type CompletionRun } from './chat-completion-stream';
import { toChatInput } from './chat-input';
import { causeOf, finishReasonOf } from './engine-outcome';
import { sendJson } from './http-json';
import { loadImageUrl } from './image-url';
import { openAiLogprobs } from './openai-logprobs';
import { readJsonBody } from './json-body';
import type { RequestContext, Route } from './openai-router';
import { requestBudget } from './request-deadline';

export interface ChatRouteOptions {
  engine: ChatEngine;
  modelName: string;
  maxBodyBytes: number;
  maxImages: number;
  remoteImageHosts: readonly string[];
  defaultMaxTiles: number;
  remoteImageTimeoutMs: number;
}

/** POST /v1/chat/completions: OpenAI's chat API, streamed (SSE) or whole. */
export function chatCompletionsRoute(options: ChatRouteOptions): Route {
  return {
    pattern: /^\/v1\/chat\/completions$/,
    template: '/v1/chat/completions',
    methods: { POST: (ctx) => handleChatCompletion(ctx, options) },
  };
}

async function handleChatCompletion(ctx: RequestContext, options: ChatRouteOptions): Promise<void> {
  const budget = requestBudget(ctx.req.headers, ctx.signal);
  const { signal, deadline } = budget;
  try {
    const body = await readJsonBody(ctx.req, options.maxBodyBytes, signal);
    const request = parseChatCompletionRequest(body, options);
    const input = await toChatInput(request, (url, param) =>
      loadImageUrl(url, param, {
        remoteImageHosts: options.remoteImageHosts,
        // A remote image may be as large as an inline one could be.
        maxRemoteBytes: options.maxBodyBytes,
        remoteTimeoutMs: options.remoteImageTimeoutMs,
        signal,
      }),
    );
    const format = new ChatCompletionFormat(options.modelName);
    const events = options.engine.stream(input, { signal, deadline });
    const run: CompletionRun = {
      events,
      format,
      signal,
      log: ctx.log,
      logprobs: request.params.logprobs,
      onFirstToken: ctx.firstToken,
    };
    if (request.stream) await streamCompletion(ctx.res, run, request.includeUsage);
    else await sendCompletion(ctx.res, run);
  } catch (err) {
    // Cut before the body was all read (deadline): the rest is not worth waiting for.
    if (!ctx.req.complete && signal.aborted && !ctx.res.headersSent) ctx.res.setHeader('connection', 'close');
    throw causeOf(err, signal);
  } finally {
    budget.dispose();
  }
}

async function sendCompletion(res: ServerResponse, run: CompletionRun): Promise<void> {
  const { format, signal, log } = run;
  const choices: { text: string; logprobs: TokenLogprob[]; finish?: Finish }[] = [];
  const choice = (index: number) => (choices[index] ??= { text: '', logprobs: [] });
  for await (const event of run.events) {
    const kind = event.kind;
    if (kind?.$case === 'delta') {
      const c = choice(kind.value.index);
      c.text += kind.value.text;
      c.logprobs.push(...kind.value.logprobs);
    } else if (kind?.$case === 'finish') choice(kind.value.index).finish = kind.value;
  }
  if (choices.length === 0) choice(0);
  const answers = Array.from(
    choices,
    (c) => c ?? { text: '', logprobs: [] as TokenLogprob[], finish: undefined },
  );
  const body = format.completion(
    answers.map((c) => ({
      content: c.text,
      reason: finishReasonOf(c.finish, signal),
      logprobs: run.logprobs ? openAiLogprobs(c.logprobs) : null,
    })),
    combinedUsage(answers.map((c) => c.finish)),
  );
  sendJson(res, 200, body, { 'x-request-id': format.id });
  log.info(
    {
      id: format.id,
      finish_reason: body.choices.map((c) => c.finish_reason),
      usage: body.usage,
      stream: false,
    },
    'chat completion',
  );
}
