import { Metadata } from '@grpc/grpc-js';

// Only these travel on: incoming metadata also holds the caller's API key, which must never
// reach another tier, and trace context is propagated by the gRPC instrumentation itself.
const FORWARDED_KEYS = ['x-request-id'] as const;

/** The metadata downstream calls carry for an incoming call's metadata. */
export function forwardedMetadata(incoming: Metadata | undefined): Metadata {
  const out = new Metadata();
  if (!incoming) return out;
  for (const key of FORWARDED_KEYS) for (const value of incoming.get(key)) out.add(key, value);
  return out;
}
