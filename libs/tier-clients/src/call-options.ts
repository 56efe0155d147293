import type { Metadata } from '@grpc/grpc-js';

/** What a call to a tier carries from its caller: cancellation, deadline and metadata. */
export interface TierCallOptions {
  /** Aborting cancels the call; the tier sees CANCELLED and stops the work. */
  signal?: AbortSignal;
  deadline?: Date;
  /** Forwarded metadata (trace context travels separately, through the grpc instrumentation). */
  metadata?: Metadata;
}
