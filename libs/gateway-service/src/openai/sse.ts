import type { ServerResponse } from 'node:http';
import { CancelledError } from '@internvl/errors';

/**
 * Writes a text/event-stream in OpenAI's framing: `data: <json>\n\n` per event and a final
 * `data: [DONE]\n\n`. Waits for 'drain' so a slow reader holds back the producer instead of
 * growing our buffers; a reader that went away surfaces as CancelledError.
 */
export class SseWriter {
  constructor(private readonly res: ServerResponse) {}

  get started(): boolean {
    return this.res.headersSent;
  }

  start(headers: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
  }

  send(data: unknown): Promise<void> {
    return this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends a successful stream. */
  async done(): Promise<void> {
    await this.write('data: [DONE]\n\n');
    this.res.end();
  }

  /** Ends a stream that failed after it started: one error event, no [DONE]. */
  fail(body: unknown): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    this.res.end(`data: ${JSON.stringify(body)}\n\n`);
  }

  private async write(text: string): Promise<void> {
    if (this.res.destroyed) throw gone();
    if (this.res.write(text)) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.res.off('drain', settle);
        this.res.off('close', settle);
        resolve();
      };
      this.res.once('drain', settle);
      this.res.once('close', settle);
    });
    if (this.res.destroyed) throw gone();
  }
}

function gone(): CancelledError {
  return new CancelledError('the client disconnected');
}
