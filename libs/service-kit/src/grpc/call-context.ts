import type { Metadata } from '@grpc/grpc-js';
import { DeadlineExceededError, CancelledError } from '@internvl/errors';
import type { Logger } from '../logging/logger';

/** What every handler gets besides its request: cancellation, deadline, metadata, a logger. */
export interface CallContext {
  /** Aborted when the client cancels, disconnects, its deadline passes, or the server is forced down. */
  readonly signal: AbortSignal;
  readonly metadata: Metadata;
  /** Absolute deadline set by the client, if any; pass it on to downstream calls. */
  readonly deadline: Date | undefined;
  readonly log: Logger;
  readonly method: string;
}

interface CancellableCall {
  metadata: Metadata;
  getDeadline(): Date | number;
  on(event: 'cancelled', listener: (reason: string) => void): unknown;
}

/** A cancel this close to the deadline is taken as the deadline passing (see onCancel). */
const DEADLINE_SLACK_MS = 100;

/** Builds the context for one call: an AbortController tied to cancel and deadline events. */
export function createCallContext(
  call: CancellableCall,
  method: string,
  log: Logger,
  serverSignal: AbortSignal,
): { context: CallContext; dispose: () => void } {
  const controller = new AbortController();
  const rawDeadline = call.getDeadline();
  const deadline =
    rawDeadline instanceof Date
      ? rawDeadline
      : Number.isFinite(rawDeadline)
        ? new Date(rawDeadline)
        : undefined;
  let timer: NodeJS.Timeout | undefined;
  if (deadline) {
    const ms = deadline.getTime() - Date.now();
    const expire = () =>
      controller.abort(new DeadlineExceededError(`deadline exceeded while running ${method}`));
    if (ms <= 0) expire();
    else timer = setTimeout(expire, ms);
  }
  // grpc-js reports its own deadline expiry as a plain 'cancelled' event, so tell the two apart by
  // the clock. The server's deadline is the grpc-timeout counted from when the headers arrived, so
  // it trails the client's by their transit time (tens of ms on a loaded host) and a client whose
  // deadline passed cancels a little *before* it: hence the slack.
  const onCancel = () =>
    controller.abort(
      deadline && Date.now() >= deadline.getTime() - DEADLINE_SLACK_MS
        ? new DeadlineExceededError(`deadline exceeded while running ${method}`)
        : new CancelledError(`the client cancelled ${method}`),
    );
  call.on('cancelled', onCancel);
  const onServerAbort = () => controller.abort(serverSignal.reason);
  serverSignal.addEventListener('abort', onServerAbort, { once: true });
  return {
    context: {
      signal: controller.signal,
      metadata: call.metadata,
      deadline,
      log: log.child({ method }),
      method,
    },
    dispose: () => {
      if (timer) clearTimeout(timer);
      serverSignal.removeEventListener('abort', onServerAbort);
    },
  };
}
