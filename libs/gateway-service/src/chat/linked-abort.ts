import { setMaxListeners } from 'node:events';

/**
 * An AbortController that also aborts (with the same reason) when `parent` does, so one chat can
 * cancel its own sibling calls without touching the caller's signal. Call `unlink` when done.
 */
export function linkedAbort(parent: AbortSignal): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  // Every parallel downstream call of a chat listens on it: many listeners are normal here.
  setMaxListeners(0, controller.signal);
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, unlink: () => parent.removeEventListener('abort', onAbort) };
}
