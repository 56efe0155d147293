import { GENERATION_PARAM_BOUNDS } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import type { GenerationSettings } from './generation-settings';

/** Most choices one request may ask for (OpenAI allows 128; each is a sequence in the batch). */
const MAX_CHOICES = GENERATION_PARAM_BOUNDS.choices;

/** GenerationParams.n (0 = 1), checked. */
export function choiceCount(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_CHOICES) {
    throw new InvalidArgumentError(`n is ${n}; it must be 1 to ${MAX_CHOICES} (0 = 1)`);
  }
  return Math.max(1, n);
}

/** Choice i samples with its own seed stream: seed + i when the request is seeded. */
export function choiceSettings(settings: GenerationSettings, index: number): GenerationSettings {
  const { seed } = settings.sampling;
  if (seed === undefined || index === 0) return settings;
  return { ...settings, sampling: { ...settings.sampling, seed: seed + index } };
}

/**
 * Interleaves the events of several choices as they come, each tagged with its index. Leaving early
 * (the caller went away) ends every choice's stream, which cancels its sequence.
 */
export async function* mergeChoices<T>(
  streams: AsyncIterable<T>[],
): AsyncGenerator<{ index: number; event: T }> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  const next = (index: number) => iterators[index]!.next().then((result) => ({ index, result }));
  const pending = new Map(iterators.map((_, i) => [i, next(i)]));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pending.set(index, next(index));
      yield { index, event: result.value };
    }
  } finally {
    await Promise.allSettled([...pending.keys()].map((i) => iterators[i]!.return?.()));
  }
}
