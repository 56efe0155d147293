import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@internvl/errors';
import { ConfigError } from '@internvl/service-kit';

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
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue ?? '');
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
  if (result === 'missing') {
    throw new UnauthenticatedError("missing API key: send metadata 'authorization: Bearer <key>'");
  }
  if (result === 'invalid') throw new UnauthenticatedError('invalid API key');
}

/** The accepted keys: the inline list plus the lines of `file` (blank lines and # comments skipped). */
export function readApiKeys(inline: readonly string[], file: string): string[] {
  const keys = [...inline];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`api_keys_file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const line of text.split(/\r?\n/)) {
      const key = line.trim();
      if (key && !key.startsWith('#')) keys.push(key);
    }
  }
  return [...new Set(keys)];
}
