import { GENERATION_PARAM_BOUNDS, type GenerationParams } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';

/** Beam search settings of a request (GenerationParams num_beams, length_penalty, early_stopping). */
export interface BeamSettings {
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean;
}

/** Most beams per request (each is a row of the decoding batch). */
const MAX_BEAMS = GENERATION_PARAM_BOUNDS.beams;

/**
 * Beam search settings (num_beams > 1), HF generate's defaults otherwise (length_penalty 1,
 * early_stopping false). It is deterministic search, so whatever would change the scores or the
 * result's shape — sampling, penalties, several choices, constraints, stop strings, logprobs — is
 * refused rather than silently ignored.
 */
export function beamSettings(p: GenerationParams): BeamSettings | undefined {
  if (p.numBeams <= 1) {
    if (p.numBeams < 0 || !Number.isInteger(p.numBeams)) {
      throw new InvalidArgumentError(
        `num_beams is ${p.numBeams}; it must be 0 or 1 (off) or 2 to ${MAX_BEAMS}`,
      );
    }
    if (p.lengthPenalty !== undefined || p.earlyStopping) {
      throw new InvalidArgumentError(
        'length_penalty and early_stopping apply to beam search only (num_beams > 1)',
      );
    }
    return undefined;
  }
  if (!Number.isInteger(p.numBeams) || p.numBeams > MAX_BEAMS) {
    throw new InvalidArgumentError(`num_beams is ${p.numBeams}; it must be 2 to ${MAX_BEAMS}`);
  }
  const conflicts = [
    p.temperature !== 0 && 'temperature',
    p.topP !== undefined && p.topP !== 1 && 'top_p',
    p.topK !== 0 && 'top_k',
    p.repetitionPenalty !== undefined && p.repetitionPenalty !== 1 && 'repetition_penalty',
    (p.presencePenalty ?? 0) !== 0 && 'presence_penalty',
    (p.frequencyPenalty ?? 0) !== 0 && 'frequency_penalty',
    p.n > 1 && 'n',
    p.constraint !== undefined && 'a structured-output constraint',
    p.stop.length > 0 && 'stop strings',
    p.logprobs && 'logprobs',
  ].filter((c): c is string => typeof c === 'string');
  if (conflicts.length > 0) {
    throw new InvalidArgumentError(
      `beam search (num_beams ${p.numBeams}) cannot be combined with ${conflicts.join(', ')}`,
    );
  }
  const lengthPenalty = p.lengthPenalty ?? 1;
  if (!Number.isFinite(lengthPenalty))
    throw new InvalidArgumentError(`length_penalty ${lengthPenalty} is not a finite number`);
  return { numBeams: p.numBeams, lengthPenalty, earlyStopping: p.earlyStopping };
}
