import type { ServiceDefinition } from '@grpc/grpc-js';
import { ResourceExhaustedError } from '@internvl/errors';

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

/** Returns a copy of `definition` whose request deserializers mark oversize messages. */
export function withMessageLimit<D extends ServiceDefinition>(definition: D, limit: number): D {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) =>
        buf.length > limit ? new OversizeMessage(buf.length, limit) : method.requestDeserialize(buf),
    };
  }
  return wrapped as D;
}

/** Throws RESOURCE_EXHAUSTED naming the limit and how to raise it if `message` was oversize. */
export function assertWithinLimit(message: unknown, optionHint: string): void {
  if (message instanceof OversizeMessage) {
    throw new ResourceExhaustedError(
      `request message is ${message.byteLength} bytes, over the limit of ${message.limit} bytes; ` +
        `send large payloads as chunked stream messages, or raise the limit with ${optionHint}`,
    );
  }
}
