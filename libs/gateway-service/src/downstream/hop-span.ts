import { context, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

/** The gateway's tracer: one span per chat and one per downstream hop under it. */
export const gatewayTracer = trace.getTracer('internvl.gateway');

/** Span attribute names of the gateway (one place, like a semconv file). */
export const GATEWAY_ATTR = {
  images: 'internvl.gateway.images',
  image: 'internvl.gateway.image',
  tiles: 'internvl.gateway.tiles',
  cacheHit: 'internvl.vision.cache_hit',
  completionTokens: 'internvl.llm.completion_tokens',
  cachedTokens: 'gen_ai.usage.cache_read.input_tokens',
} as const;

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
