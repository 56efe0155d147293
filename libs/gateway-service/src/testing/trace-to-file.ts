import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTelemetry, type SpanRecord } from '@internvl/telemetry';

// Imported FIRST by a spec (for its side effect): the gRPC instrumentation only hooks
// @grpc/grpc-js if the SDK starts before anything requires it.
const traceFile = join(mkdtempSync(join(tmpdir(), 'gateway-trace-')), 'spans.jsonl');
export const telemetry = initTelemetry('gateway-spec', { ...process.env, INTERNVL_TRACE_FILE: traceFile });

/** Every span finished so far in this process. */
export function finishedSpans(): SpanRecord[] {
  let text: string;
  try {
    text = readFileSync(traceFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as SpanRecord);
}
