import { BeamSearch } from '@internvl/generation';
import type { BeamSettings } from '../request/beam-settings';
import type { Sequence } from './sequence';

/**
 * One beam-search request in the decoding batch: its k beams are k sequences of the engine (the
 * leader, which was prefilled, and k−1 forked from it), decoded with everyone else; between
 * steps the search keeps the best continuations and the engine copies caches to match.
 */
export class BeamGroup {
  /** Token each member feeds next. */
  tokens: number[] = [];
  readonly search: BeamSearch;

  constructor(
    readonly leader: Sequence,
    /** Engine sequence ids of the beams, the leader's first. */
    readonly members: number[],
    settings: BeamSettings,
  ) {
    const { request } = leader;
    this.search = new BeamSearch({
      numBeams: settings.numBeams,
      eosIds: request.stopTokenIds,
      lengthPenalty: settings.lengthPenalty,
      earlyStopping: settings.earlyStopping,
      maxNewTokens: request.maxNewTokens,
    });
  }

  /** Whether the search has its answer after this step's decision. */
  finished(done: boolean): boolean {
    return done || this.search.length >= this.leader.request.maxNewTokens;
  }
}
