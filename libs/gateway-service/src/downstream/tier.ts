import type { Metadata } from '@grpc/grpc-js';
import type { LlmServiceClient, PreprocessServiceClient, VisionServiceClient } from '@internvl/contracts';
import type { Logger } from '@internvl/service-kit';

export type TierName = 'preprocess' | 'vision' | 'llm';

/**
 * A downstream tier: its client and the address it was configured with (logged when the tier
 * fails to answer; never shown to clients, who see only the tier's name).
 */
export interface Tier<C> {
  name: TierName;
  address: string;
  client: C;
  /** Where a failure to reach the tier is logged with its address and grpc-js's details. */
  log?: Logger;
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
