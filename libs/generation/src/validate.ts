// Parameter checks shared by the processors and the sampler; not part of the public API.
import { InvalidArgumentError } from '@internvl/errors';

/** Throws InvalidArgumentError unless `value` is a finite number > 0. */
export function checkPositive(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${field} must be a finite number > 0, got ${value}`);
  }
}

/** Throws InvalidArgumentError unless `topK` is an integer ≥ 0. */
export function checkTopK(topK: number): void {
  if (!Number.isInteger(topK) || topK < 0) {
    throw new InvalidArgumentError(`topK must be an integer ≥ 0 (0 disables it), got ${topK}`);
  }
}

/** Throws InvalidArgumentError unless `topP` is in (0, 1]. */
export function checkTopP(topP: number): void {
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    throw new InvalidArgumentError(`topP must be in (0, 1] (1 disables it), got ${topP}`);
  }
}
