import { appendFileSync } from 'node:fs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** One finished span as a JSON line: enough to check trace continuity across processes. */
export interface SpanRecord {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  startMs: number;
  durationMs: number;
  status: number;
  attributes: Record<string, unknown>;
}

/**
 * Appends finished spans to a file, one JSON object per line (INTERNVL_TRACE_FILE). Useful
 * for local debugging without a collector, and what the cross-process trace tests read.
 */
export class FileSpanExporter implements SpanExporter {
  constructor(
    private readonly path: string,
    private readonly service: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const lines = spans.map((span) => {
        const ctx = span.spanContext();
        const record: SpanRecord = {
          service: this.service,
          name: span.name,
          kind: span.kind,
          traceId: ctx.traceId,
          spanId: ctx.spanId,
          parentSpanId: span.parentSpanContext?.spanId,
          startMs: span.startTime[0] * 1e3 + span.startTime[1] / 1e6,
          durationMs: span.duration[0] * 1e3 + span.duration[1] / 1e6,
          status: span.status.code,
          attributes: { ...span.attributes },
        };
        return JSON.stringify(record);
      });
      if (lines.length > 0) appendFileSync(this.path, lines.join('\n') + '\n');
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
