import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CancelledError, UnavailableError } from '@internvl/errors';
import type { Logger } from '@internvl/service-kit';
import { checkBearer } from '../auth/api-keys';
import type { ChatEngine } from '../chat/chat-engine';
import { chatCompletionsRoute } from './chat-completions-route';
import { healthRoute } from './health-route';
import { sendError } from './http-json';
import { modelRoutes } from './models-route';
import { invalidApiKey } from './openai-errors';
import { pathOf, resolveRoute, type Route } from './openai-router';
import { withServerSpan } from './request-span';

export interface OpenAiServerOptions {
  engine: ChatEngine;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** The id clients must send as `model` and that GET /v1/models lists. */
  modelName: string;
  /** Accepted bearer keys; empty = no auth. */
  apiKeys: readonly string[];
  maxBodyBytes: number;
  maxImages: number;
  /** Hosts http(s) image URLs may be fetched from; empty = data: URLs only. */
  remoteImageHosts: readonly string[];
  /** Tiles per image when the request has no `max_num`. */
  defaultMaxTiles: number;
  tls?: { cert: Buffer; key: Buffer };
  log: Logger;
}

export interface OpenAiServer {
  port: number;
  /** Stops accepting, aborts in-flight generations and resolves once every connection is closed. */
  close(): Promise<void>;
}

const REMOTE_IMAGE_TIMEOUT_MS = 10_000;
// Connections that stay open after close() (a client that keeps reading nothing) are cut after this.
const FORCE_CLOSE_AFTER_MS = 5_000;

/** The OpenAI-compatible HTTP API (POST /v1/chat/completions, GET /v1/models, GET /health). */
export async function startOpenAiServer(options: OpenAiServerOptions): Promise<OpenAiServer> {
  const { log } = options;
  const routes: Route[] = [
    healthRoute,
    ...modelRoutes(options.modelName, Math.floor(Date.now() / 1000)),
    chatCompletionsRoute({ ...options, remoteImageTimeoutMs: REMOTE_IMAGE_TIMEOUT_MS }),
  ];
  const inFlight = new Set<AbortController>();
  let closing = false;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    inFlight.add(controller);
    res.once('close', () => {
      inFlight.delete(controller);
      // 'close' before the response finished = the client went away: stop the generation.
      if (!res.writableFinished) controller.abort(new CancelledError('the client disconnected'));
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    if (closing) res.setHeader('connection', 'close');
    const method = req.method ?? 'GET';
    const path = pathOf(req.url);
    const requestLog = log.child({ method, path });
    void withServerSpan(req, res, method, path, async () => {
      try {
        const route = resolveRoute(routes, method, path);
        if (!route.public) authorize(req, options.apiKeys);
        await route.handler({ req, res, signal: controller.signal, log: requestLog, params: route.params });
      } catch (err) {
        sendError(res, err, requestLog);
      }
    });
  };

  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handle)
    : createHttpServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      closing = true;
      const force = setTimeout(() => server.closeAllConnections(), FORCE_CLOSE_AFTER_MS);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const controller of inFlight)
        controller.abort(new UnavailableError('the server is shutting down'));
      server.closeIdleConnections();
    }));
  return { port, close };
}

function authorize(req: IncomingMessage, apiKeys: readonly string[]): void {
  const result = checkBearer(req.headers.authorization, apiKeys);
  if (result === 'missing') {
    throw invalidApiKey("You didn't provide an API key; send it as 'Authorization: Bearer <key>'");
  }
  if (result === 'invalid') throw invalidApiKey('Incorrect API key provided');
}
