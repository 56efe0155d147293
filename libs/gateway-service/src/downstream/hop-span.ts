import { context, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { SCOPE_NAME } from '@internvl/service-kit';

/** The gateway's tracer: one span per chat and one per downstream hop under it. */
export const gatewayTracer = trace.getTracer(SCOPE_NAME.gateway);

export function recordFailure(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Runs one downstream call in a span `name` under `parent`; the call is made inside the span's
 * context, so the gRPC client span (and the tier's server span) hang under it.
 */
export async function inHopSpan<T>(
  name: string,
  parent: Context,
  attributes: Attributes,
  run: (span: Span) => Promise<T>,
): Promise<T> {
  const span = gatewayTracer.startSpan(name, { attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => run(span));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}
