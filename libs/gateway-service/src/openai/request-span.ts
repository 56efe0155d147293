import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SCOPE_NAME, SPAN_ATTR } from '@internvl/service-kit';

const tracer = trace.getTracer(SCOPE_NAME.gateway);

/**
 * Runs one HTTP request inside a server span that continues the client's trace (W3C
 * traceparent), so the engine's downstream gRPC spans hang under it. The span ends with the
 * response.
 */
export async function withServerSpan(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  handle: () => Promise<void>,
): Promise<void> {
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer.startSpan(
    `${method} ${path}`,
    {
      kind: SpanKind.SERVER,
      attributes: { [SPAN_ATTR.http.requestMethod]: method, [SPAN_ATTR.http.urlPath]: path },
    },
    parent,
  );
  res.once('close', () => {
    span.setAttribute(SPAN_ATTR.http.responseStatusCode, res.statusCode);
    if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  await context.with(trace.setSpan(parent, span), handle);
}
