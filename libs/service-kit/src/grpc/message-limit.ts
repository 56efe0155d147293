import type { ServiceDefinition } from '@grpc/grpc-js';
import { LimitExceededError } from '@internvl/errors';
import { UndecodableMessage, undecodableMessageError } from './undecodable-message';

/**
 * Stand-in for a request message larger than the configured limit. grpc-js's own limit
 * answers "Received message larger than max (a vs b)", which names no option; so the transport
 * limit is set higher and this marker lets the handler answer with a message that does.
 */
export class OversizeMessage {
  constructor(
    readonly byteLength: number,
    readonly limit: number,
  ) {}
}

/** Transport-level cap: the configured limit with headroom, so abusive sizes still stop early. */
export function transportReceiveLimit(limit: number): number {
  return Math.min(2 ** 31 - 1, limit * 4);
}

/** Returns a copy of `definition` whose request deserializers mark oversize and undecodable messages. */
export function withMessageLimit<D extends ServiceDefinition>(definition: D, limit: number): D {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        if (buf.length > limit) return new OversizeMessage(buf.length, limit);
        try {
          return method.requestDeserialize(buf);
        } catch (err) {
          return new UndecodableMessage(err instanceof Error ? err.message : String(err));
        }
      },
    };
  }
  return wrapped as D;
}

/** Throws LimitExceededError (INVALID_ARGUMENT) naming the limit and how to raise it if `message` was oversize. */
export function assertWithinLimit(message: unknown, optionHint: string): void {
  if (message instanceof UndecodableMessage) throw undecodableMessageError(message);
  if (message instanceof OversizeMessage) {
    throw new LimitExceededError(
      `request message is ${message.byteLength} bytes, over the limit of ${message.limit} bytes; ` +
        `send large payloads as chunked stream messages, or raise the limit with ${optionHint}`,
    );
  }
}
