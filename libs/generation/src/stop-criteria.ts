import { InvalidArgumentError } from '@internvl/errors';
import type { FinishReason } from './finish';

/** Options of {@link createTokenStopper}. */
export interface TokenStopOptions {
  /** EOS id(s), the chat template's stop ids (e.g. `<|end|>`) and the user's stop ids; merged. */
  stopTokenIds: Iterable<number>;
  /** Integer ≥ 1: the most tokens this request may generate. */
  maxNewTokens: number;
}

/** Decides after each generated token whether generation ends. */
export interface TokenStopper {
  readonly stopTokenIds: ReadonlySet<number>;
  readonly maxNewTokens: number;
  /**
   * Call after each generated token with that id and the number of tokens generated so far
   * (including it). Returns 'stop' for a stop id, 'length' once `maxNewTokens` is reached,
   * otherwise undefined. A stop id wins over length when both hold.
   */
  check(tokenId: number, generatedCount: number): FinishReason | undefined;
}

/** Builds a {@link TokenStopper}; throws InvalidArgumentError naming the bad field. */
export function createTokenStopper(options: TokenStopOptions): TokenStopper {
  const { maxNewTokens } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new InvalidArgumentError(`maxNewTokens must be an integer ≥ 1, got ${maxNewTokens}`);
  }
  const stopTokenIds = new Set<number>();
  for (const id of options.stopTokenIds) {
    if (!Number.isInteger(id) || id < 0) {
      throw new InvalidArgumentError(`stopTokenIds must hold integers ≥ 0, got ${id}`);
    }
    stopTokenIds.add(id);
  }
  return {
    stopTokenIds,
    maxNewTokens,
    check(tokenId, generatedCount) {
      if (stopTokenIds.has(tokenId)) return 'stop';
      return generatedCount >= maxNewTokens ? 'length' : undefined;
    },
  };
}

/** What {@link StopStringMatcher.push} lets through. */
export interface StopStringResult {
  /** Text safe to show now (possibly ""). Never contains any part of a matched stop string. */
  emit: string;
  /** True once a stop string matched; later pushes emit nothing. */
  stopped: boolean;
}

/** Watches streamed text for stop strings. */
export interface StopStringMatcher {
  /** Feed the next text delta. */
  push(text: string): StopStringResult;
  /**
   * The text still held back as a possible partial match, for when the stream ends for another
   * reason (stop token, length). "" after a match.
   */
  flush(): string;
}

/**
 * Builds a {@link StopStringMatcher} for `stops` (non-empty strings). A trailing piece of the text
 * that could be the start of a stop string is held back until the next delta decides it, so a stop
 * string split across tokens ("<|e" + "nd|>") never leaks. On a match, text before the earliest
 * match is emitted and the stop string itself is not. With no stops, text passes straight through.
 */
export function createStopStringMatcher(stops: readonly string[]): StopStringMatcher {
  for (const stop of stops) {
    if (typeof stop !== 'string' || stop.length === 0) {
      throw new InvalidArgumentError('stop strings must be non-empty strings; remove the empty entry');
    }
  }
  let held = '';
  let stopped = false;
  return {
    push(text) {
      if (stopped) return { emit: '', stopped };
      const buffer = held + text;
      const at = earliestMatch(buffer, stops);
      if (at >= 0) {
        stopped = true;
        held = '';
        return { emit: buffer.slice(0, at), stopped };
      }
      const keep = partialMatchLength(buffer, stops);
      held = buffer.slice(buffer.length - keep);
      return { emit: buffer.slice(0, buffer.length - keep), stopped };
    },
    flush() {
      const rest = held;
      held = '';
      return rest;
    },
  };
}

function earliestMatch(buffer: string, stops: readonly string[]): number {
  let at = -1;
  for (const stop of stops) {
    const i = buffer.indexOf(stop);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
function partialMatchLength(buffer: string, stops: readonly string[]): number {
  let best = 0;
  for (const stop of stops) {
    for (let n = Math.min(stop.length - 1, buffer.length); n > best; n--) {
      if (buffer.endsWith(stop.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}
