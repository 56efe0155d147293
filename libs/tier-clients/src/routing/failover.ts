import { status, type ServiceError } from '@grpc/grpc-js';

/**
 * Codes after which the same call may go to another replica: the replica is gone or unreachable
 * (UNAVAILABLE) or refused the work for its queue (RESOURCE_EXHAUSTED). Nothing else is retried:
 * a bad request fails the same everywhere.
 */
export function isReplicaFailure(err: unknown): boolean {
  const code = (err as Partial<ServiceError>).code;
  return code === status.UNAVAILABLE || code === status.RESOURCE_EXHAUSTED;
}

/**
 * Runs `attempt` on the first candidate and, when it fails with a replica failure, once more on
 * the next one (at most `maxAttempts` in all). The last error is thrown.
 */
export async function withFailover<R, T>(
  candidates: readonly R[],
  attempt: (replica: R, index: number) => Promise<T>,
  maxAttempts = 2,
): Promise<T> {
  let lastError: unknown;
  const tries = Math.min(maxAttempts, candidates.length);
  for (let i = 0; i < tries; i++) {
    try {
      return await attempt(candidates[i]!, i);
    } catch (err) {
      lastError = err;
      if (!isReplicaFailure(err) || i + 1 >= tries) throw err;
    }
  }
  throw lastError;
}

/**
 * A streaming call with failover before its first committing item: items for which `commits` is
 * false (e.g. the llm's prompt echo) are held back, and while nothing has been passed on, a
 * replica failure restarts the call on the next candidate. From the first committing item on,
 * the stream is the caller's and a failure ends it with that error.
 */
export async function* streamWithFailover<R, T>(
  candidates: readonly R[],
  start: (replica: R, index: number) => AsyncIterable<T>,
  commits: (item: T) => boolean,
  maxAttempts = 2,
): AsyncGenerator<T> {
  const tries = Math.min(maxAttempts, candidates.length);
  for (let i = 0; i < tries; i++) {
    const held: T[] = [];
    let committed = false;
    try {
      for await (const item of start(candidates[i]!, i)) {
        if (!committed && !commits(item)) {
          held.push(item);
          continue;
        }
        if (!committed) {
          committed = true;
          yield* held;
        }
        yield item;
      }
      if (!committed) yield* held;
      return;
    } catch (err) {
      if (committed || !isReplicaFailure(err) || i + 1 >= tries) throw err;
    }
  }
}
