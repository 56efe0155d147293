import type { ApiUsage } from './answer-stats';
import { ApiError, apiErrorFromBody, apiErrorFromEvent } from './api-error';
import { SseParser } from './sse';

/** The page talks to the API it was served from, like any other client. */
const API_BASE = '/v1';

/** Request headers; `stream`: a JSON body answered with server-sent events. */
function headers(apiKey: string, stream = false): Record<string, string> {
  const h: Record<string, string> = { accept: stream ? 'text/event-stream' : 'application/json' };
  if (stream) h['content-type'] = 'application/json';
  if (apiKey !== '') h.authorization = `Bearer ${apiKey}`;
  return h;
}

async function send(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(`cannot reach the server (${(err as Error).message})`, 0);
  }
  if (!res.ok) throw apiErrorFromBody(res.status, res.statusText, await res.text());
  return res;
}

/** GET /v1/models: the id of the model this server serves. */
export async function fetchModelId(apiKey: string): Promise<string> {
  const res = await send(`${API_BASE}/models`, { headers: headers(apiKey) });
  const body = (await res.json()) as { data?: { id?: string }[] };
  const id = body.data?.[0]?.id;
  if (!id) throw new ApiError('the server lists no model', res.status);
  return id;
}

export interface StreamResult {
  finishReason?: string;
  usage?: ApiUsage;
}

interface Chunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: ApiUsage | null;
}

/**
 * POST /v1/chat/completions with `stream: true`: calls `onText` with each piece of the answer as
 * it arrives and resolves with the finish reason and usage. Aborting `signal` cancels the request
 * (the server sees the connection close and stops generating); the promise then rejects with an
 * AbortError.
 */
export async function streamChat(
  body: Record<string, unknown>,
  apiKey: string,
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<StreamResult> {
  const res = await send(`${API_BASE}/chat/completions`, {
    method: 'POST',
    headers: headers(apiKey, true),
    body: JSON.stringify(body),
    signal,
  });
  if (!res.body) throw new ApiError('the server sent no answer body', res.status);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const result: StreamResult = {};
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const data of parser.push(value)) {
      if (data === '[DONE]') return result;
      const event = JSON.parse(data) as Chunk;
      const error = apiErrorFromEvent(event);
      if (error) throw error;
      const choice = event.choices?.[0];
      const text = choice?.delta?.content;
      if (text) onText(text);
      if (choice?.finish_reason) result.finishReason = choice.finish_reason;
      if (event.usage) result.usage = event.usage;
    }
  }
  throw new ApiError('the answer stream ended before [DONE]', res.status);
}
