import type { GenerationParams } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';

/** repetition_penalty is in (0, MAX]: larger values only overflow the logits. */
const MAX_REPETITION_PENALTY = 100;

/**
 * Float fields of a request must be finite (a float32 on the wire turns 1e300 into Infinity),
 * repetition_penalty in (0, 100]; INVALID_ARGUMENT naming the field before any work.
 */
export function checkNumericRanges(p: GenerationParams): void {
  const floats: Array<[string, number | undefined]> = [
    ['temperature', p.temperature],
    ['top_p', p.topP],
    ['repetition_penalty', p.repetitionPenalty],
    ['presence_penalty', p.presencePenalty],
    ['frequency_penalty', p.frequencyPenalty],
    ['length_penalty', p.lengthPenalty],
  ];
  for (const [name, value] of floats) {
    if (value !== undefined && !Number.isFinite(value)) {
      throw new InvalidArgumentError(`${name} is ${value}; it must be a finite number`);
    }
  }
  const r = p.repetitionPenalty;
  if (r !== undefined && !(r > 0 && r <= MAX_REPETITION_PENALTY)) {
    throw new InvalidArgumentError(
      `repetition_penalty is ${r}; it must be in (0, ${MAX_REPETITION_PENALTY}]`,
    );
  }
  if (p.seed !== undefined && !(Number.isSafeInteger(p.seed) && p.seed >= 0)) {
    throw new InvalidArgumentError(
      `seed is ${p.seed}; it must be an integer in [0, ${Number.MAX_SAFE_INTEGER}]`,
    );
  }
}
