import type { ServerOptions } from 'node:http';

/**
 * Node's limits on slow clients: headers within headersTimeoutMs, the whole request (body
 * included) within requestTimeoutMs, else a 408 and the connection closed. Node checks them every
 * connectionsCheckingInterval (30 s by default, which would let a 1 B/s client hold a connection
 * that long), so the check runs at a quarter of the shorter limit, at most once a second.
 * Responses are not limited: a long stream after a request that arrived in time is never cut.
 */
export function serverTimeouts(options: {
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 60_000;
  const shortest = Math.min(...[headersTimeout, requestTimeout].filter((ms) => ms > 0), 4_000);
  return {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(25, Math.floor(shortest / 4)),
  };
}
