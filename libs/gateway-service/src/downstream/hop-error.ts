import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { InvalidArgumentError, UnavailableError, domainErrorFromKind, isDomainError } from '@internvl/errors';
import { messageSizeError } from './message-size-error';
import type { Tier } from './tier';

/** A status received from another tier (grpc-js ServiceError shape). */
export function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    typeof (err as Partial<ServiceError>).details === 'string'
  );
}

/**
 * The same error with `prefix: ` in front of its message, keeping its kind or gRPC code, so the
 * caller learns which image or input failed. Unexpected errors stay as they are (their text is
 * never shown to clients anyway).
 */
export function withPrefix(err: unknown, prefix: string): unknown {
  if (isDomainError(err)) {
    if (err.kind === 'internal') return err;
    const prefixed = domainErrorFromKind(err.kind, `${prefix}: ${err.message}`);
    prefixed.cause = err;
    return prefixed;
  }
  if (isServiceError(err)) {
    const details = `${prefix}: ${err.details}`;
    return Object.assign(new Error(`${err.code} ${Status[err.code]}: ${details}`, { cause: err }), {
      code: err.code,
      details,
      metadata: err.metadata,
    });
  }
  return err;
}

// The caller's own cancel or deadline says nothing about an image; keep those as they are.
const NOT_ABOUT_THE_IMAGE = new Set<number>([Status.CANCELLED, Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE]);

/**
 * What a failed call to `tier` becomes for the gateway's caller: UNAVAILABLE names the tier and
 * its address (the caller cannot see our topology otherwise); with `image` (e.g. "image 2
 * (message 1, part 3)"), a downstream complaint about the image names it. Other codes pass through.
 */
export function hopError(err: unknown, tier: Tier<unknown>, image?: string): unknown {
  if (!isServiceError(err)) return err;
  const tooLarge = messageSizeError(err, tier);
  if (tooLarge) return tooLarge;
  if (err.code === Status.UNAVAILABLE) {
    return new UnavailableError(`${tier.name} tier at ${tier.address} is unavailable: ${err.details}`, {
      cause: err,
    });
  }
  if (image === undefined || NOT_ABOUT_THE_IMAGE.has(err.code)) return err;
  if (err.code === Status.INVALID_ARGUMENT) {
    return new InvalidArgumentError(`${image}: ${err.details}`, { cause: err });
  }
  return withPrefix(err, image);
}
