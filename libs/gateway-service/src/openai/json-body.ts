import type { IncomingMessage } from 'node:http';
import { CancelledError } from '@internvl/errors';
import { bodyTooLarge, InvalidRequestError } from './openai-errors';

/**
 * Reads the whole request body and parses it as JSON, refusing more than `maxBytes` (413) before
 * buffering it: a declared Content-Length is checked up front, a chunked body as it arrives.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  /** The request's deadline (X-Request-Timeout-Ms) applies while the body arrives too. */
  signal?: AbortSignal,
): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLarge(maxBytes);
  signal?.throwIfAborted();
  const text = (await readLimited(req, maxBytes, signal)).toString('utf8');
  if (text.trim() === '') throw new InvalidRequestError('The request body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

// Not `for await`: leaving that loop early destroys the request and with it the socket, so the
// 413 could never be sent. Past the limit the rest is read and dropped instead.
function readLimited(req: IncomingMessage, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      req.off('data', onData);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      reject(bodyTooLarge(maxBytes));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // After 'end' this is a no-op; before it the client went away mid-body.
    req.once('close', () => reject(new CancelledError('the client disconnected while sending the body')));
  });
}
