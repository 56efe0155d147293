import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { UnavailableError } from '@internvl/errors';
import type { Logger } from '@internvl/service-kit';
import { apiKeyRefusal, checkBearer } from '../auth/api-keys';
import type { ChatEngine } from '../chat/chat-engine';
import { chatCompletionsRoute } from './chat-completions-route';
import type { TierReadiness } from '../downstream/tier-health';
import { httpRouteLabel, NO_MEASURE, type GatewayMetrics } from '../gateway-metrics';
import { healthRoute } from './health-route';
import { readyRoute } from './ready-route';
import { sendError } from './http-json';
import { modelRoutes } from './models-route';
import { invalidApiKey } from './openai-errors';
import { pathOf, resolveRoute, routeTemplate, type Route } from './openai-router';
import { playgroundRoutes, type PlaygroundAssets } from './playground-route';
import { withServerSpan } from './request-span';
import { RequestTracker } from './request-tracker';
import { serverTimeouts } from './server-timeouts';

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
  /** HTTPS; with `clientCa`, mutual TLS: a connection without a client certificate it signed is refused. */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** Most time to receive a request's headers (Node's headersTimeout); 0 = no limit. */
  headersTimeoutMs?: number;
  /** Most time to receive a whole request, body included (Node's requestTimeout); 0 = no limit. */
  requestTimeoutMs?: number;
  /** Most open connections; more are refused (closed at once). 0 = no limit. */
  maxConnections?: number;
  /** Downstream readiness for GET /ready (absent: no /ready route). */
  readiness?: () => TierReadiness;
  /** Requests by route and status, and the time to first token of streamed answers. */
  metrics?: GatewayMetrics;
  /** The browser playground's files, served at / and /playground/* (absent: 404 there). */
  playground?: PlaygroundAssets;
  log: Logger;
}

export interface OpenAiServer {
  port: number;
  /**
   * Graceful stop: closes the listener, answers new requests on kept-alive sockets 503 with
   * `Connection: close`, lets in-flight requests finish for up to `timeoutMs` (then aborts them)
   * and resolves once every connection is closed.
   */
  drain(timeoutMs: number): Promise<void>;
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
    ...(options.readiness ? [readyRoute(options.readiness)] : []),
    ...modelRoutes(options.modelName, Math.floor(Date.now() / 1000)),
    chatCompletionsRoute({ ...options, remoteImageTimeoutMs: REMOTE_IMAGE_TIMEOUT_MS }),
    ...(options.playground ? playgroundRoutes(options.playground) : []),
  ];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = pathOf(req.url);
    const measure =
      options.metrics?.request(httpRouteLabel(method, routeTemplate(routes, path))) ?? NO_MEASURE;
    // The status sent; 499 (as nginx logs it) when the client left before any response.
    res.once('close', () => measure.end(res.headersSent ? String(res.statusCode) : '499'));
    if (tracker.draining) {
      // A new request on a kept-alive socket while draining: refused, and the socket closed.
      res.setHeader('connection', 'close');
      return sendError(res, new UnavailableError('the server is shutting down'), log);
    }
    const controller = tracker.track(res);
    const requestLog = log.child({ method, path });
    void withServerSpan(req, res, method, path, async () => {
      try {
        const route = resolveRoute(routes, method, path);
        if (!route.public) authorize(req, options.apiKeys);
        await route.handler({
          req,
          res,
          signal: controller.signal,
          log: requestLog,
          params: route.params,
          firstToken: measure.firstToken,
        });
      } catch (err) {
        sendError(res, err, requestLog);
      }
    });
  };

  const timeouts = serverTimeouts(options);
  const server = options.tls
    ? createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa && {
            ca: options.tls.clientCa,
            requestCert: true,
            rejectUnauthorized: true,
          }),
          ...timeouts,
        },
        handle,
      )
    : createHttpServer(timeouts, handle);
  if (options.maxConnections) server.maxConnections = options.maxConnections;
  const tracker = new RequestTracker(server, FORCE_CLOSE_AFTER_MS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return { port, drain: (timeoutMs) => tracker.drain(timeoutMs), close: () => tracker.drain(0) };
}

function authorize(req: IncomingMessage, apiKeys: readonly string[]): void {
  const result = checkBearer(req.headers.authorization, apiKeys);
  if (result !== 'ok') throw invalidApiKey(apiKeyRefusal(result));
}
