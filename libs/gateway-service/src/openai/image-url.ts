import { gatewayOption } from '../gateway-config';
import { InvalidRequestError } from './openai-errors';
import { fetchRemoteImage, RemoteImageError } from './remote-image';

export interface ImageUrlPolicy {
  /** Hosts (`name` or `name:port`) that http(s) image URLs may point at; empty = remote URLs off. */
  remoteImageHosts: readonly string[];
  /** Largest remote image accepted, in bytes. */
  maxRemoteBytes: number;
  remoteTimeoutMs: number;
  signal?: AbortSignal;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/**
 * Turns an `image_url.url` into encoded image bytes. data: URLs are always accepted; http(s)
 * URLs only for allow-listed hosts, because fetching arbitrary URLs from inside the cluster
 * would let any client probe internal services (SSRF).
 */
export async function loadImageUrl(url: string, param: string, policy: ImageUrlPolicy): Promise<Buffer> {
  if (url.startsWith('data:')) return decodeDataUrl(url, param);
  const remote = parseRemoteUrl(url, param);
  if (!isAllowedHost(remote, policy.remoteImageHosts)) throw remoteRefused(remote, policy, param);
  try {
    return await fetchRemoteImage(remote, {
      maxBytes: policy.maxRemoteBytes,
      timeoutMs: policy.remoteTimeoutMs,
      isAllowed: (next) => isAllowedHost(next, policy.remoteImageHosts),
      signal: policy.signal,
    });
  } catch (err) {
    if (!(err instanceof RemoteImageError)) throw err;
    throw new InvalidRequestError(`Could not fetch the image at ${remote.href}: ${err.message}`, param);
  }
}

export function decodeDataUrl(url: string, param: string): Buffer {
  const match = DATA_URL.exec(url);
  const mediaType = match?.[1]?.trim().toLowerCase() ?? '';
  const isBase64 = match?.[2]?.split(';').some((p) => p.trim().toLowerCase() === 'base64') ?? false;
  if (!match || !isBase64) {
    throw new InvalidRequestError(
      'Image data URLs must be base64, like data:image/jpeg;base64,/9j/4AAQ...',
      param,
    );
  }
  if (!mediaType.startsWith('image/')) {
    throw new InvalidRequestError(
      `The data URL has media type '${mediaType || '(none)'}'; expected an image type like image/png`,
      param,
    );
  }
  const payload = match[3].replace(/\s+/g, '');
  if (!BASE64.test(payload)) throw new InvalidRequestError('The data URL payload is not valid base64', param);
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length === 0) throw new InvalidRequestError('The data URL holds no image bytes', param);
  return bytes;
}

function parseRemoteUrl(url: string, param: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidRequestError(
      'The image URL is neither a data: URL nor a valid http(s) URL; send data:image/...;base64,...',
      param,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidRequestError(
      `Image URLs with scheme '${parsed.protocol}' are not supported; send a data: URL (or http(s) to an allowed host)`,
      param,
    );
  }
  return parsed;
}

function isAllowedHost(url: URL, hosts: readonly string[]): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  return hosts.some((allowed) => {
    const entry = allowed.trim().toLowerCase();
    return entry === host || entry === hostname;
  });
}

function remoteRefused(url: URL, policy: ImageUrlPolicy, param: string): InvalidRequestError {
  if (policy.remoteImageHosts.length === 0) {
    return new InvalidRequestError(
      'Remote image URLs are turned off on this server: send the image inline as a data: URL ' +
        `(data:image/jpeg;base64,...), or have the operator allow its host with ${gatewayOption('remote_image_hosts')}`,
      param,
    );
  }
  return new InvalidRequestError(
    `Image host '${url.host}' is not allowed (allowed: ${policy.remoteImageHosts.join(', ')}); ` +
      `send the image inline as a data: URL, or add the host to ${gatewayOption('remote_image_hosts')}`,
    param,
  );
}
