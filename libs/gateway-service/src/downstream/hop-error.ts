import { status as Status, type ServiceError } from '@grpc/grpc-js';
import {
  DeadlineExceededError,
  InvalidArgumentError,
  UnavailableError,
  domainErrorFromKind,
  isDomainError,
} from '@internvl/errors';
import { messageSizeError } from './message-size-error';
import type { TierIdentity } from './tier';

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

// The caller's own cancel says nothing about an image; keep it as it is.
const NOT_ABOUT_THE_IMAGE = new Set<number>([Status.CANCELLED]);

/**
 * What a failed call to `tier` becomes for the gateway's caller: UNAVAILABLE and
 * DEADLINE_EXCEEDED name the tier but never its address or grpc-js's details (which carry
 * `remote_addr=host:port`): those go to the tier's log only. With `image` (e.g. "image 2
 * (message 1, part 3)"), a downstream complaint about the image names it. Other codes pass through.
 */
export function hopError(err: unknown, tier: TierIdentity, image?: string): unknown {
  if (!isServiceError(err)) return err;
  const tooLarge = messageSizeError(err, tier);
  if (tooLarge) {
    logHopFailure(tier, err);
    return tooLarge;
  }
  if (err.code === Status.UNAVAILABLE) {
    logHopFailure(tier, err);
    return new UnavailableError(`the ${tier.name} tier is unavailable`, { cause: err });
  }
  if (err.code === Status.DEADLINE_EXCEEDED) {
    logHopFailure(tier, err);
    return new DeadlineExceededError(`the ${tier.name} tier did not answer in time`, { cause: err });
  }
  if (image === undefined || NOT_ABOUT_THE_IMAGE.has(err.code)) return err;
  if (err.code === Status.INVALID_ARGUMENT) {
    return new InvalidArgumentError(`${image}: ${err.details}`, { cause: err });
  }
  return withPrefix(err, image);
}

function logHopFailure(tier: TierIdentity, err: ServiceError): void {
  tier.log?.warn(
    { tier: tier.name, address: tier.address, code: Status[err.code], details: err.details },
    `call to the ${tier.name} tier failed`,
  );
}
