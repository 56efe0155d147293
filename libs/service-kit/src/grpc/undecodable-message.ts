import { InvalidArgumentError } from '@internvl/errors';

/**
 * Stand-in for a request message the generated decoder threw on (grpc-js would answer INTERNAL
 * "Error deserializing request"). The one known case is a 64-bit integer above 2^53 − 1, which a
 * JavaScript number cannot hold exactly: the only such client-set field is GenerationParams.seed.
 */
export class UndecodableMessage {
  constructor(readonly reason: string) {}
}

export function undecodableMessageError(message: UndecodableMessage): InvalidArgumentError {
  if (/MAX_SAFE_INTEGER|MIN_SAFE_INTEGER/.test(message.reason)) {
    return new InvalidArgumentError(
      `a 64-bit integer field of the request (seed) is outside ±${Number.MAX_SAFE_INTEGER} (2^53 − 1), ` +
        `the largest this server takes exactly; send a smaller seed`,
    );
  }
  return new InvalidArgumentError(`the request message could not be decoded: ${message.reason}`);
}
