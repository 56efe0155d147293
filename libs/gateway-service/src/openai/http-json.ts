import type { ServerResponse } from 'node:http';
import { toOpenAiError } from './openai-errors';
import type { Logger } from '@internvl/service-kit';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

/** Answers with the OpenAI error shape, unless the response already started (then it only logs). */
export function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  const mapped = toOpenAiError(err);
  if (mapped.unexpected) log.error({ err }, 'request failed');
  else log.debug({ status: mapped.status, message: mapped.body.error.message }, 'request rejected');
  if (res.headersSent || res.destroyed) return;
  sendJson(res, mapped.status, mapped.body, mapped.headers);
}
