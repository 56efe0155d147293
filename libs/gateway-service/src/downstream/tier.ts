import type { Client, Metadata } from '@grpc/grpc-js';
import type { LlmServiceClient, PreprocessServiceClient, VisionServiceClient } from '@internvl/contracts';
import type { Logger } from '@internvl/service-kit';
import type { ReplicaPool } from '@internvl/tier-clients';

export type TierName = 'preprocess' | 'vision' | 'llm';

/**
 * A downstream tier: its clients and the address it was configured with (logged when the tier
 * fails to answer; never shown to clients, who see only the tier's name).
 */
export interface Tier<C extends Client = Client> {
  name: TierName;
  address: string;
  /** Balanced over every replica: info calls and health checks. */
  client: C;
  /** One client per replica: the calls of a chat, routed by key and failed over. */
  replicas: ReplicaPool<C>;
  /** Where a failure to reach the tier is logged with its address and grpc-js's details. */
  log?: Logger;
}

/** What names a tier in errors and logs. */
export type TierIdentity = Pick<Tier, 'name' | 'address' | 'log'>;

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
