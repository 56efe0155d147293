import type { Finish } from '@internvl/contracts';
import { abortReasonToError, CancelledError, InternalError } from '@internvl/errors';
import { openAiFinishReason, type OpenAiFinishReason } from './chat-completion-format';

/**
 * The finish reason of a completed run. A run that ended without an answer (no finish event,
 * or a CANCELLED finish) is an error, never a quietly truncated 200.
 */
export function finishReasonOf(finish: Finish | undefined, signal: AbortSignal): OpenAiFinishReason {
  if (signal.aborted) throw abortReasonToError(signal.reason);
  if (!finish) throw new InternalError('the chat engine ended without a finish event');
  const reason = openAiFinishReason(finish.reason);
  if (reason === undefined) throw new CancelledError('generation was cancelled before it finished');
  return reason;
}

/**
 * Once our signal is aborted, whatever the engine throws (often a downstream CANCELLED) is a
 * consequence; the abort reason (deadline, disconnect, shutdown) is the cause to report.
 */
export function causeOf(err: unknown, signal: AbortSignal): unknown {
  return signal.aborted ? abortReasonToError(signal.reason) : err;
}
