import { domainErrorFromKind } from '@internvl/errors';

// The messages between a model's owner on the event loop (InferenceThread) and the thread that
// runs the model (serveInferenceThread). Requests other than 'release' are the model's own.

/** A typed error that crossed the thread boundary (structured clone keeps plain fields only). */
export interface ThreadError {
  kind?: string;
  message: string;
}

export type ThreadReply<Ready, Result, Note> =
  | { type: 'warn'; message: string }
  | { type: 'ready'; ready: Ready }
  | { type: 'failed'; error: ThreadError }
  /** Unsolicited news from the thread (e.g. memory held after a free). */
  | { type: 'note'; note: Note }
  | { type: 'result'; id: number; ok: true; result: Result }
  | { type: 'result'; id: number; ok: false; error: ThreadError };

export const RELEASE = { type: 'release' } as const;

export function threadError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: (e as { kind?: string }).kind, message: e.message };
}

export function reviveThreadError(e: ThreadError): Error {
  return domainErrorFromKind(e.kind, e.message);
}
