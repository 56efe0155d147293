import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { abortReasonToError } from '@internvl/errors';

export interface RemoteFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  /** Asked again for every redirect target, so a redirect cannot lead off the allowed hosts. */
  isAllowed(url: URL): boolean;
  signal?: AbortSignal;
  maxRedirects?: number;
}

/** Why a fetch failed, in words for the client; the caller wraps it in its typed error. */
export class RemoteImageError extends Error {}

/** GETs an image from an allowed host with a byte limit, a timeout and checked redirects. */
export async function fetchRemoteImage(url: URL, options: RemoteFetchOptions): Promise<Buffer> {
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const result = await getOnce(current, options);
    if ('body' in result) return result.body;
    if (redirects >= (options.maxRedirects ?? 3)) throw new RemoteImageError('too many redirects');
    const next = redirectTarget(result.location, current);
    if (!options.isAllowed(next)) throw new RemoteImageError(refusedRedirect(next));
    current = next;
  }
}

function redirectTarget(location: string, base: URL): URL {
  try {
    return new URL(location, base);
  } catch {
    throw new RemoteImageError(`redirected to ${JSON.stringify(location)}, which is not a valid URL`);
  }
}

/** Why a redirect is not followed: only http(s) redirects to allowed hosts are. */
function refusedRedirect(next: URL): string {
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    // A file: or data: URL has no host worth naming; say which scheme and URL were refused.
    const shown = next.href.length > 100 ? `${next.href.slice(0, 100)}…` : next.href;
    return `redirected to ${shown}: scheme '${next.protocol}' is not followed (only http(s) redirects to allowed image hosts are)`;
  }
  return `redirected to ${next.host}, which is not an allowed image host`;
}

type Outcome = { body: Buffer } | { location: string };

function getOnce(url: URL, options: RemoteFetchOptions): Promise<Outcome> {
  const { signal, maxBytes, timeoutMs } = options;
  return new Promise<Outcome>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReasonToError(signal.reason));
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    const request = get(url, { headers: { accept: 'image/*' } }, (res) => {
      const location = res.headers.location;
      if (isRedirect(res) && location) {
        res.resume();
        return settle(() => resolve({ location }));
      }
      if (res.statusCode !== 200) {
        res.resume();
        return fail(new RemoteImageError(`the image host answered HTTP ${res.statusCode}`));
      }
      readBody(res, maxBytes).then((body) => settle(() => resolve({ body })), fail);
    });
    // Whatever happens first settles the promise; the rest only tears down.
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const fail = (err: Error) => {
      settle(() => reject(err));
      request.destroy();
    };
    const timer = setTimeout(
      () => fail(new RemoteImageError(`no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => fail(abortReasonToError(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => fail(new RemoteImageError(err.message)));
  });
}

function isRedirect(res: IncomingMessage): boolean {
  return [301, 302, 303, 307, 308].includes(res.statusCode ?? 0);
}

function readBody(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooBig = () => new RemoteImageError(`the image is larger than the limit of ${maxBytes} bytes`);
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.destroy();
      return reject(tooBig());
    }
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        res.destroy();
        return reject(tooBig());
      }
      chunks.push(chunk);
    });
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new RemoteImageError('the image host closed the connection early'));
    });
  });
}
