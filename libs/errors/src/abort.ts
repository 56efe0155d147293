import { CancelledError, DeadlineExceededError } from './domain-error';

/**
 * Throws the typed error for an aborted signal. Handlers call this at every await and every
 * decode step so cancelled work stops promptly.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw abortReasonToError(signal.reason);
}

/** Maps an AbortSignal reason to a typed domain error (deadline vs. client cancel). */
export function abortReasonToError(reason: unknown): Error {
  if (reason instanceof Error && 'kind' in reason) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new DeadlineExceededError('deadline exceeded');
  }
  return new CancelledError(typeof reason === 'string' ? reason : 'the request was cancelled');
}
