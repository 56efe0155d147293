import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The grpc.health.v1 status of a service ('' = the whole server); undefined = unknown service. */
export type HealthStatusOf = (service: string) => string | undefined;

/**
 * Serves Prometheus text on GET /metrics and, with `health`, the gRPC health status over plain
 * HTTP on GET /healthz?service=NAME (200 when SERVING, 503 otherwise, 404 for an unknown service):
 * what kubelet probes can reach when the gRPC port requires a client certificate (mutual TLS).
 * Port 0 picks a free port; negative disables it.
 */
export async function startMetricsServer(
  host: string,
  port: number,
  handler: MetricsHandler,
  health?: HealthStatusOf,
): Promise<Server | undefined> {
  if (port < 0) return undefined;
  const server = createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '').split('?', 2) as [string, string?];
    if (req.method === 'GET' && path === '/metrics') return handler(req, res);
    if (health && req.method === 'GET' && path === '/healthz') {
      const status = health(new URLSearchParams(query).get('service') ?? '');
      const code = status === undefined ? 404 : status === 'SERVING' ? 200 : 503;
      return res.writeHead(code, { 'content-type': 'text/plain' }).end(`${status ?? 'SERVICE_UNKNOWN'}\n`);
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: metrics are served at GET /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return server;
}
