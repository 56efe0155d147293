import { createLogger } from '@internvl/service-kit';
import { startOpenAiServer, type OpenAiServer, type OpenAiServerOptions } from '../openai-server';
import { FakeChatEngine } from './fake-chat-engine';

export const MODEL = 'InternVL2-1B';

export interface TestServer {
  url: string;
  engine: FakeChatEngine;
  server: OpenAiServer;
  close(): Promise<void>;
}

/** The OpenAI API on a free port in front of a FakeChatEngine (a given one, or a fresh default). */
export async function startTestServer(
  overrides: Partial<OpenAiServerOptions> = {},
  engine = new FakeChatEngine(),
): Promise<TestServer> {
  const server = await startOpenAiServer({
    engine,
    host: '127.0.0.1',
    port: 0,
    modelName: MODEL,
    apiKeys: [],
    maxBodyBytes: 64 * 1024,
    maxImages: 2,
    remoteImageHosts: [],
    defaultMaxTiles: 6,
    log: createLogger('openai-spec', 'silent'),
    ...overrides,
  });
  const scheme = overrides.tls ? 'https' : 'http';
  return { url: `${scheme}://127.0.0.1:${server.port}`, engine, server, close: () => server.close() };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

export interface ErrorJson {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The OpenAI error object of a response (fails the spec if the body has none). */
export function errorOf(response: JsonResponse): ErrorJson['error'] {
  const error = (response.json as Partial<ErrorJson> | undefined)?.error;
  if (!error) throw new Error(`expected an OpenAI error body, got: ${response.text}`);
  return error;
}

export function dataUrl(bytes: Buffer, type = 'image/png'): string {
  return `data:${type};base64,${bytes.toString('base64')}`;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
