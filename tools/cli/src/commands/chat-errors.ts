import { status as Status } from '@grpc/grpc-js';

export interface CallErrorContext {
  addr: string;
  /** Whether the gateway answered at all (headers, a message, or a ready connection). */
  reachedGateway: boolean;
}

/** The gRPC status of an error thrown by a call, or undefined for anything else. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Status[code] !== undefined ? code : undefined;
}

/** grpc-js nests connection failures ("No connection established. Last error: ..."); keep the cause. */
function connectionFailure(details: string): string {
  const last = details.split('Last error: ').at(-1) ?? details;
  return last
    .replace(/\.?\s*Resolution note:.*$/s, '')
    .replace(/^Error: /, '')
    .trim();
}

/**
 * One line for stderr. UNAVAILABLE from a gateway that answered is a downstream tier's
 * (passed through with its own details); only a gateway that never answered gets the hint.
 */
export function describeCallError(err: unknown, context: CallErrorContext): string {
  const code = grpcCode(err);
  if (code === undefined) return `chat: ${err instanceof Error ? err.message : String(err)}`;
  const details = (err as { details?: string }).details ?? '';
  if (code === Status.UNAVAILABLE && !context.reachedGateway) {
    return (
      `chat: cannot reach the gateway at ${context.addr} (${connectionFailure(details)}); ` +
      `start it with 'internvl serve all --model DIR' or 'npm start', or pass --addr`
    );
  }
  return `chat: ${Status[code]}: ${details}`;
}
