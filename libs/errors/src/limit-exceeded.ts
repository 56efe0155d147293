import { InvalidArgumentError } from './domain-error';

/**
 * The request is over a configured or model limit (image bytes or pixels, tiles, images, batch
 * inputs, message size…). Permanent for this request — a retry gets the same answer — so it is
 * INVALID_ARGUMENT (HTTP 400), never RESOURCE_EXHAUSTED (HTTP 429), which clients retry and which
 * stays for transient overload (a full queue). The message names the limit and the option that
 * raises it.
 */
export class LimitExceededError extends InvalidArgumentError {}
