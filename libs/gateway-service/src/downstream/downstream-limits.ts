import { gatewayOption } from '../gateway-config';

const MiB = 1024 * 1024;

/** Room for what the gateway adds around the caller's text (template roles, params, image headers). */
export const DOWNSTREAM_HEADROOM_BYTES = MiB;
/** Floor of the tier clients' message limits (streams carry ≤ 1 MiB chunks; a long conversation more). */
const MIN_DOWNSTREAM_MESSAGE_BYTES = 16 * MiB;

/** The gateway's public limits (what a caller may send at its door). */
export interface PublicLimits {
  max_receive_message_bytes?: number;
  max_body_bytes?: number;
}

/**
 * Message limit of the gateway's tier clients, derived from its public limits: whatever the gateway
 * accepted (a whole conversation arrives in one gRPC message or HTTP body and goes on to the llm
 * tier in one header) can be forwarded. The tiers' own receive limits must be as large.
 */
export function downstreamMessageBytes(limits: PublicLimits): number {
  const accepted = Math.max(limits.max_receive_message_bytes ?? 0, limits.max_body_bytes ?? 0);
  return Math.min(2 ** 31 - 1, Math.max(MIN_DOWNSTREAM_MESSAGE_BYTES, accepted + DOWNSTREAM_HEADROOM_BYTES));
}

/** How a message-size refusal between the gateway and a tier is resolved, for error messages. */
export const DOWNSTREAM_LIMIT_HINT =
  `the gateway forwards up to the larger of ${gatewayOption('max_receive_message_bytes')} and ` +
  `${gatewayOption('max_body_bytes')} plus 1 MiB; lower those, or raise the tier's --max-receive-message-bytes to match`;
