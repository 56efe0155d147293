import type { IncomingHttpHeaders } from 'node:http';
import { DeadlineExceededError } from '@internvl/errors';
import { InvalidRequestError } from './openai-errors';

/** Optional header: the client's time budget for the whole request, in milliseconds. */
export const TIMEOUT_HEADER = 'x-request-timeout-ms';

// A day: anything longer is a typo, not a budget.
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** The budget in ms from X-Request-Timeout-Ms, or undefined when the header is absent. */
export function requestTimeoutMs(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers[TIMEOUT_HEADER];
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw[0] : raw;
  const ms = /^\s*\d+\s*$/.test(text ?? '') ? Number(text) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new InvalidRequestError(
      `The X-Request-Timeout-Ms header must be an integer number of milliseconds in 1..${MAX_TIMEOUT_MS}, ` +
        `got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

export interface RequestBudget {
  /** The parent signal, also aborted with DeadlineExceededError when the budget runs out. */
  signal: AbortSignal;
  deadline?: Date;
  dispose(): void;
}

/** Applies X-Request-Timeout-Ms (if sent) on top of the request's signal. */
export function requestBudget(headers: IncomingHttpHeaders, parent: AbortSignal): RequestBudget {
  const ms = requestTimeoutMs(headers);
  if (ms === undefined) return { signal: parent, dispose: () => {} };
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(
    () =>
      controller.abort(new DeadlineExceededError(`the request did not finish within its ${ms} ms timeout`)),
    ms,
  );
  return {
    signal: controller.signal,
    deadline: new Date(Date.now() + ms),
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
