import type { FloatArray } from '@internvl/float-formats';
import type { KvArena } from './kv-arena';
import { bytesPerPosition, kvPositionsArray, type KvLayout } from './kv-layout';

/**
 * Cached KV blocks by prefix hash (prefix-hash.ts), least recently used first out. A block holds
 * `blockTokens` positions of every layer; sequences copy matching blocks into their arena row
 * and so never share memory with the cache — any block can be evicted at any time.
 */
export class PrefixCache {
  /** Insertion order is recency order: a hit moves the block to the end. */
  private readonly blocks = new Map<string, FloatArray>();
  private readonly blockBytes: number;
  /** Tokens asked for and tokens found, since start (Prometheus counters). */
  readonly counters = { queriedTokens: 0, hitTokens: 0 };

  constructor(
    private readonly layout: KvLayout,
    readonly blockTokens: number,
  ) {
    this.blockBytes = bytesPerPosition(layout) * blockTokens;
  }

  get bytes(): number {
    return this.blocks.size * this.blockBytes;
  }

  get size(): number {
    return this.blocks.size;
  }

  has(hash: string): boolean {
    return this.blocks.has(hash);
  }

  /** How many leading hashes are cached (counts the query for the counters). */
  match(hashes: readonly string[], queriedTokens: number): number {
    let n = 0;
    while (n < hashes.length && this.blocks.has(hashes[n]!)) n++;
    this.counters.queriedTokens += queriedTokens;
    this.counters.hitTokens += n * this.blockTokens;
    return n;
  }

  /** Copies blocks `hashes` (all cached) into `row` from position 0, and marks them recently used. */
  load(hashes: readonly string[], arena: KvArena, row: number): void {
    hashes.forEach((hash, k) => {
      arena.transfer(row, k * this.blockTokens, this.blockTokens, this.blocks.get(hash)!, false);
    });
    this.touchChain(hashes);
  }

  /**
   * Stores block k of `row` under hashes[k] for each k from `from` not cached yet, while `room`
   * bytes allow (after evicting older blocks). Returns how many it stored.
   */
  store(hashes: readonly string[], from: number, arena: KvArena, row: number, room: () => number): number {
    let stored = 0;
    const chain = new Set(hashes);
    for (let k = from; k < hashes.length; k++) {
      const hash = hashes[k]!;
      if (this.blocks.has(hash)) continue;
      // A chain's own earlier blocks are never evicted for its later ones: without its head, a tail is unreachable.
      if (!this.makeRoom(room(), chain)) break;
      const block = kvPositionsArray(this.layout, this.blockTokens);
      arena.transfer(row, k * this.blockTokens, this.blockTokens, block, true);
      this.blocks.set(hash, block);
      stored++;
    }
    this.touchChain(hashes);
    return stored;
  }

  /** Evicts least recently used blocks until the cache holds at most `bytes`. */
  shrinkTo(bytes: number): void {
    for (const hash of this.blocks.keys()) {
      if (this.bytes <= bytes) return;
      this.blocks.delete(hash);
    }
  }

  clear(): void {
    this.blocks.clear();
  }

  /**
   * Marks a chain's cached blocks recently used, its tail first: eviction, oldest first, then takes
   * a chain from its end (as vLLM frees blocks), so what stays is always a usable prefix.
   */
  private touchChain(hashes: readonly string[]): void {
    for (let k = hashes.length - 1; k >= 0; k--) {
      const block = this.blocks.get(hashes[k]!);
      if (!block) continue;
      this.blocks.delete(hashes[k]!);
      this.blocks.set(hashes[k]!, block);
    }
  }

  /** Makes room for one more block within `room` bytes, evicting blocks outside `keep`; false if it cannot. */
  private makeRoom(room: number, keep: ReadonlySet<string>): boolean {
    if (room < this.blockBytes) return false;
    for (const hash of this.blocks.keys()) {
      if (this.bytes <= room - this.blockBytes) break;
      if (!keep.has(hash)) this.blocks.delete(hash);
    }
    return this.bytes <= room - this.blockBytes;
  }
}
