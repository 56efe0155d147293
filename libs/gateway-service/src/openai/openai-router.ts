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
}

export type RouteHandler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  /** Matched against the whole path (query string removed, trailing slash ignored). */
  pattern: RegExp;
  methods: Partial<Record<string, RouteHandler>>;
  /** Served without an API key (health checks). */
  public?: boolean;
}

export interface ResolvedRoute {
  handler: RouteHandler;
  params: Record<string, string>;
  public: boolean;
}

/** Finds the handler for a request; an unknown path is a 404, a known path with another method a 405. */
export function resolveRoute(routes: readonly Route[], method: string, path: string): ResolvedRoute {
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const handler = route.methods[method];
    if (!handler) throw methodNotAllowed(method, path, Object.keys(route.methods));
    return { handler, params: { ...match.groups }, public: route.public ?? false };
  }
  throw notFoundRoute(method, path);
}

export function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0];
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
