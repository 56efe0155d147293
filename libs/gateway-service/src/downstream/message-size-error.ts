import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { LimitExceededError } from '@internvl/errors';
import { DOWNSTREAM_LIMIT_HINT } from './downstream-limits';
import type { TierIdentity } from './tier';

// grpc-js's own size checks ("Sent/Received message larger than max (a vs. b)") and the tiers'
// ("request message is N bytes, over the limit of …").
const SIZE_REFUSAL = /message larger than max|^request message is \d+ bytes, over the limit/;

/**
 * A message between the gateway and `tier` refused for its size, as a permanent
 * LimitExceededError (400 / INVALID_ARGUMENT, never 429) naming the hop and the options; any
 * other error is undefined.
 */
export function messageSizeError(err: ServiceError, tier: TierIdentity): LimitExceededError | undefined {
  if (err.code !== Status.RESOURCE_EXHAUSTED && err.code !== Status.INVALID_ARGUMENT) return undefined;
  if (!SIZE_REFUSAL.test(err.details)) return undefined;
  return new LimitExceededError(
    `the chat is too large to forward to the ${tier.name} tier (${err.details}); ${DOWNSTREAM_LIMIT_HINT}`,
    { cause: err },
  );
}
