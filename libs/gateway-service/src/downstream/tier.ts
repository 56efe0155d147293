import type { Metadata } from '@grpc/grpc-js';
import type { LlmServiceClient, PreprocessServiceClient, VisionServiceClient } from '@internvl/contracts';

export type TierName = 'preprocess' | 'vision' | 'llm';

/** A downstream tier: its client and the address it was configured with (named in errors). */
export interface Tier<C> {
  name: TierName;
  address: string;
  client: C;
}

/** The three tiers a chat goes through. */
export interface Tiers {
  preprocess: Tier<PreprocessServiceClient>;
  vision: Tier<VisionServiceClient>;
  llm: Tier<LlmServiceClient>;
}

/** What every downstream call of one chat carries: its cancellation, deadline and metadata. */
export interface HopOptions {
  signal: AbortSignal;
  deadline: Date | undefined;
  metadata: Metadata;
}
