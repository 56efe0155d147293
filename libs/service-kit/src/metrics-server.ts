import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves Prometheus text on GET /metrics. Port 0 picks a free port; negative disables it. */
export async function startMetricsServer(
  host: string,
  port: number,
  handler: MetricsHandler,
): Promise<Server | undefined> {
  if (port < 0) return undefined;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') return handler(req, res);
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
