import { context, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { SCOPE_NAME, SPAN_ATTR, SPAN_NAME } from '@internvl/service-kit';

const tracer = trace.getTracer(SCOPE_NAME.vision);
const ATTR = SPAN_ATTR.vision;

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
      SPAN_NAME.vision.queue,
      { attributes: { [ATTR.tiles]: tiles } },
      this.parent,
    );
  }

  started(waitMs: number, batchTiles: number, batchRequests: number): void {
    this.queue.setAttribute(ATTR.queueWaitMs, waitMs);
    this.queue.end();
    this.run = tracer.startSpan(
      SPAN_NAME.vision.run,
      { attributes: { [ATTR.batchTiles]: batchTiles, [ATTR.batchRequests]: batchRequests } },
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
