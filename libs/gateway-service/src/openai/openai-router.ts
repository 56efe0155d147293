import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@internvl/service-kit';
import { methodNotAllowed, notFoundRoute } from './openai-errors';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the client goes away, the deadline passes or the server shuts down. */
  signal: AbortSignal;
  log: Logger;
  /** Named groups of the route's pattern. */
  params: Record<string, string>;
  /** The first generated text of a streamed answer was written (the gateway's TTFT). */
  firstToken(): void;
}

export type RouteHandler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  /** Matched against the whole path (query string removed, trailing slash ignored). */
  pattern: RegExp;
  /** The path as metrics name it, parameters in braces: `/v1/models/{model}`. */
  template: string;
  methods: Partial<Record<string, RouteHandler>>;
  /** Served without an API key (health checks). */
  public?: boolean;
}

export interface ResolvedRoute {
  handler: RouteHandler;
  params: Record<string, string>;
  public: boolean;
}

/**
 * Finds the handler for a request; an unknown path is a 404, a known path with another method a
 * 405. HEAD of a GET route runs the GET handler (node:http sends no body for HEAD), and OPTIONS
 * answers 204 with the route's Allow header (no API key needed, like a CORS preflight).
 */
export function resolveRoute(routes: readonly Route[], method: string, path: string): ResolvedRoute {
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const params = { ...match.groups };
    const handler = route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (handler) return { handler, params, public: route.public ?? false };
    const allowed = allowedMethods(route);
    if (method === 'OPTIONS') return { handler: answerOptions(allowed), params, public: true };
    throw methodNotAllowed(method, path, allowed);
  }
  throw notFoundRoute(method, path);
}

/** The methods a route answers: its own, HEAD with GET, and OPTIONS. */
export function allowedMethods(route: Route): string[] {
  const own = Object.keys(route.methods);
  const head = own.includes('GET') && !own.includes('HEAD') ? ['HEAD'] : [];
  return [...own, ...head, 'OPTIONS'];
}

function answerOptions(allowed: readonly string[]): RouteHandler {
  return ({ res }) => {
    res.writeHead(204, { allow: allowed.join(', ') });
    res.end();
  };
}

/** The template of the route whose pattern matches `path` (any method), if one does. */
export function routeTemplate(routes: readonly Route[], path: string): string | undefined {
  return routes.find((route) => route.pattern.test(path))?.template;
}

export function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0];
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
