import { createHash } from 'node:crypto';

function score(key: string, replica: string): bigint {
  return createHash('sha256').update(key).update('\0').update(replica).digest().readBigUInt64BE(0);
}

/**
 * Rendezvous (highest-random-weight) order of `replicas` for `key`: every caller ranks the same
 * key the same way, and adding or removing one replica moves only the keys that ranked it first
 * (about 1/n of them), so the other replicas' caches stay hot.
 */
export function rendezvousOrder(key: string, replicas: readonly string[]): string[] {
  return replicas
    .map((replica) => ({ replica, score: score(key, replica) }))
    .sort((a, b) => (a.score === b.score ? 0 : a.score > b.score ? -1 : 1))
    .map((r) => r.replica);
}
