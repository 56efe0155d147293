import { context, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';

/** Span attribute names of the vision tier (one place, like a semconv file). */
export const VISION_ATTR = {
  tiles: 'internvl.vision.tiles',
  cacheHit: 'internvl.vision.cache_hit',
  queueWaitMs: 'internvl.vision.queue.wait_ms',
  batchTiles: 'internvl.vision.batch.tiles',
  batchRequests: 'internvl.vision.batch.requests',
} as const;

const tracer = trace.getTracer('internvl.vision');

/**
 * The two spans of one encoded request: `vision.queue` from submit until its batch starts, then
 * `vision.run` until the batch's model run returns. Both are children of the call's span (the
 * context at construction), although the batch starts from another request's timer or callback.
 */
export class EncodeSpans {
  private readonly parent: Context = context.active();
  private readonly queue: Span;
  private run: Span | undefined;

  constructor(tiles: number) {
    this.queue = tracer.startSpan(
      'vision.queue',
      { attributes: { [VISION_ATTR.tiles]: tiles } },
      this.parent,
    );
  }

  started(waitMs: number, batchTiles: number, batchRequests: number): void {
    this.queue.setAttribute(VISION_ATTR.queueWaitMs, waitMs);
    this.queue.end();
    this.run = tracer.startSpan(
      'vision.run',
      { attributes: { [VISION_ATTR.batchTiles]: batchTiles, [VISION_ATTR.batchRequests]: batchRequests } },
      this.parent,
    );
  }

  end(err?: unknown): void {
    const span = this.run ?? this.queue;
    if (err !== undefined) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
    }
    span.end();
  }
}
