import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@internvl/errors';
import { ConfigError } from '@internvl/service-kit';
import { gatewayOption } from '../gateway-config';
import { keyProblem } from './key-format';

export type BearerCheck = 'ok' | 'missing' | 'invalid';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks an `authorization: Bearer <key>` value against the accepted keys; no keys = auth off.
 * Compares SHA-256 digests with timingSafeEqual against every key, so neither a key's length
 * nor which key matched shows in the timing.
 */
export function checkBearer(headerValue: string | undefined, keys: readonly string[]): BearerCheck {
  if (keys.length === 0) return 'ok';
  // One rule for both transports: surrounding blanks are not part of the value (HTTP/1 strips
  // them; HTTP/2 drops a gRPC metadata value that has them before it reaches us).
  const match = /^Bearer[ \t]+(\S+)$/i.exec((headerValue ?? '').trim());
  if (!match) return 'missing';
  const presented = digest(match[1]!);
  let found = false;
  for (const key of keys) found = timingSafeEqual(presented, digest(key)) || found;
  return found ? 'ok' : 'invalid';
}

/**
 * Refuses a gRPC call without a valid key with UNAUTHENTICATED, for a missing and for a wrong
 * key alike: PERMISSION_DENIED would mean "known caller, not allowed", and there are no roles.
 */
export function requireApiKey(metadata: Metadata, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const [value] = metadata.get('authorization');
  const result = checkBearer(typeof value === 'string' ? value : value?.toString('utf8'), keys);
  if (result !== 'ok') throw new UnauthenticatedError(apiKeyRefusal(result));
}

/** The words of a refusal, the same over gRPC (UNAUTHENTICATED) and HTTP (401). */
export function apiKeyRefusal(result: Exclude<BearerCheck, 'ok'>): string {
  return result === 'missing'
    ? "missing API key: send 'authorization: Bearer <key>' (an HTTP header or gRPC metadata), with no spaces around the value"
    : 'invalid API key';
}

/** The accepted keys: the inline list plus the lines of `file` (blank lines and # comments skipped). */
export function readApiKeys(inline: readonly string[], file: string): string[] {
  inline.forEach((key, i) => refuseBadKey(key, `${gatewayOption('api_keys')}: key ${i + 1}`));
  const keys = [...inline];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`api_keys_file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const [i, line] of text.split(/\r?\n/).entries()) {
      const key = line.trim();
      if (!key || key.startsWith('#')) continue;
      refuseBadKey(key, `${gatewayOption('api_keys_file')} ${file}: line ${i + 1}`);
      keys.push(key);
    }
  }
  return [...new Set(keys)];
}

/** A key no `Bearer <key>` value could ever carry is a config error; the message never shows the key. */
function refuseBadKey(key: string, where: string): void {
  const problem = keyProblem(key);
  if (problem) throw new ConfigError(`${where} ${problem}; such a key could never match, fix or remove it`);
}
