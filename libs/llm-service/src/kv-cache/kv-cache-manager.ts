import { InternalError, InvalidArgumentError, ResourceExhaustedError } from '@internvl/errors';
import { KvArena } from './kv-arena';
import type { FloatArray } from '@internvl/float-formats';
import { alignPositions, bytesPerPosition, kvPositionsArray, type KvLayout } from './kv-layout';
import { PrefixCache } from './prefix-cache';
import { prefixBlockHashes, type PrefixContent } from './prefix-hash';

export interface KvCacheOptions {
  layout: KvLayout;
  /** Arena + prefix cache never hold more (--kv-cache-bytes). */
  budgetBytes: number;
  /** Positions per prefix-cache block (--kv-block-tokens). */
  blockTokens: number;
  /** Keep prompt and answer blocks for later requests (--prefix-caching). */
  prefixCaching: boolean;
  /** Rows worth growing the arena to at once (active sequences + one prefilling). */
  maxRows: number;
}

/** What the cache holds, for the gauges and counters. */
export interface KvCacheStats {
  /** Bytes actually allocated: arena + prefix blocks. */
  heldBytes: number;
  arenaBytes: number;
  prefixBytes: number;
  prefixBlocks: number;
  /** Positions sequences fill, over what the arena could hold (the usage fraction's parts). */
  usedPositions: number;
  capacityPositions: number;
  sequences: number;
  prefixQueriedTokens: number;
  prefixHitTokens: number;
}

interface SequenceKv {
  seq: number;
  row: number;
  length: number;
  content: PrefixContent & { ids: number[] };
  /** Positions from 0 stored with the prompt's rotation (later ones may rotate otherwise). */
  uniform: number;
  /** Leading blocks already offered to the prefix cache. */
  published: number;
}

/**
 * Every sequence's KV cache (the arena, one dense row each) and the prefix cache, under one byte
 * budget. Prefix blocks give way first: the arena grows by evicting them; a growth the budget
 * cannot hold at all is RESOURCE_EXHAUSTED (the scheduler's admission keeps that from happening).
 */
export class KvCacheManager {
  readonly arena: KvArena;
  readonly prefix: PrefixCache;
  private readonly rows: SequenceKv[] = [];
  private readonly bySeq = new Map<number, SequenceKv>();
  private readonly bpp: number;

  constructor(private readonly options: KvCacheOptions) {
    this.arena = new KvArena(options.layout);
    this.prefix = new PrefixCache(options.layout, options.blockTokens);
    this.bpp = bytesPerPosition(options.layout);
  }

  get rowsInUse(): number {
    return this.rows.length;
  }

  rowOf(seq: number): number {
    return this.get(seq).row;
  }

  lengthOf(seq: number): number {
    return this.get(seq).length;
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Lengths of rows 0…rowsInUse−1. */
  rowLengths(): number[] {
    return this.rows.map((s) => s.length);
  }

  /**
   * Gives a new sequence the next row, filled from the prefix cache as far as its prompt's blocks
   * are cached (always leaving the last prompt position to compute, for its logits).
   * @returns the positions taken from the cache
   */
  open(seq: number, content: PrefixContent): number {
    if (this.bySeq.has(seq)) throw new InvalidArgumentError(`sequence ${seq} already has a KV cache`);
    const state: SequenceKv = {
      seq,
      row: this.rows.length,
      length: 0,
      content: { ...content, ids: Array.from(content.ids) },
      uniform: 0,
      published: 0,
    };
    const hashes = this.options.prefixCaching
      ? prefixBlockHashes(content, content.promptLength - 1, this.options.blockTokens)
      : [];
    // Room for the row first: growing the arena may evict cached blocks, so hits are counted after.
    let cached = 0;
    while (cached < hashes.length && this.prefix.has(hashes[cached]!)) cached++;
    this.ensure(this.rows.length + 1, cached * this.options.blockTokens);
    const hits = this.options.prefixCaching
      ? hashes.slice(0, this.prefix.match(hashes, content.promptLength))
      : [];
    this.rows.push(state);
    this.bySeq.set(seq, state);
    if (hits.length > 0) {
      this.prefix.load(hits, this.arena, state.row);
      state.length = state.uniform = hits.length * this.options.blockTokens;
      state.published = hits.length;
    }
    return state.length;
  }

  /** Makes room for `count` more positions of `seq` (grows the arena if needed). */
  reserve(seq: number, count: number): void {
    this.ensure(this.rows.length, this.get(seq).length + count);
  }

  /** Records `ids.length` positions written at the end of `seq`'s row, stored with rotation `regime`. */
  advance(seq: number, ids: ArrayLike<number>, regime: string): void {
    const s = this.get(seq);
    if (s.length + ids.length > this.arena.capacity)
      throw new InternalError(`sequence ${seq} outgrew its reserved KV row`);
    const atPrompt = s.length < s.content.promptLength;
    for (let i = 0; i < ids.length; i++) {
      const p = s.length + i;
      if (p >= s.content.promptLength) s.content.ids.push(ids[i]!);
    }
    if (s.uniform === s.length && regime === s.content.regime) s.uniform += ids.length;
    s.length += ids.length;
    // A finished prompt is offered at once: concurrent requests sharing it (n choices, a batch
    // about one image) find it before this sequence ends.
    if (atPrompt && s.length >= s.content.promptLength) this.publish(s);
  }

  /** Frees `seq`'s row (offering its blocks to the prefix cache first); the last row moves into it. */
  close(seq: number): void {
    const s = this.bySeq.get(seq);
    if (!s) return;
    this.publish(s);
    this.bySeq.delete(seq);
    const last = this.rows.pop()!;
    if (last !== s) {
      this.arena.moveRow(last.row, s.row, last.length);
      last.row = s.row;
      this.rows[s.row] = last;
    }
    this.shrinkIfSparse();
  }

  /** New sequences `to` start as copies of `from` (beam search's beams after the prompt). */
  fork(from: number, to: readonly number[]): void {
    const source = this.get(from);
    for (const seq of to)
      if (this.bySeq.has(seq)) throw new InvalidArgumentError(`sequence ${seq} already has a KV cache`);
    this.ensure(this.rows.length + to.length, source.length);
    for (const seq of to) {
      const state: SequenceKv = {
        ...source,
        seq,
        row: this.rows.length,
        content: { ...source.content, ids: [...source.content.ids] },
      };
      this.arena.moveRow(source.row, state.row, source.length);
      this.rows.push(state);
      this.bySeq.set(seq, state);
    }
  }

  /**
   * Sequence seqs[j] takes over the cache of sources[j] as it was before the call (beam search
   * keeping its best continuations); all must have the same length.
   */
  reorder(seqs: readonly number[], sources: readonly number[]): void {
    const states = seqs.map((s) => this.get(s));
    const from = sources.map((s) => this.get(s));
    const length = states[0]?.length ?? 0;
    if ([...states, ...from].some((s) => s.length !== length)) {
      throw new InvalidArgumentError('reordered sequences must all have the same length');
    }
    const changed = states.flatMap((s, j) => (from[j] !== s ? [j] : []));
    if (changed.length === 0) return;
    // Sources may be overwritten before they are read: copy them out first.
    const snapshots = new Map<SequenceKv, FloatArray>();
    for (const j of changed) {
      const src = from[j]!;
      if (snapshots.has(src)) continue;
      const block = kvPositionsArray(this.options.layout, length);
      this.arena.transfer(src.row, 0, length, block, true);
      snapshots.set(src, block);
    }
    const contents = new Map(
      [...snapshots.keys()].map((s) => [
        s,
        { ids: [...s.content.ids], uniform: s.uniform, published: s.published },
      ]),
    );
    for (const j of changed) {
      const target = states[j]!;
      const src = from[j]!;
      this.arena.transfer(target.row, 0, length, snapshots.get(src)!, false);
      const c = contents.get(src)!;
      target.content = { ...target.content, ids: [...c.ids] };
      target.uniform = c.uniform;
      target.published = c.published;
    }
  }

  /** Frees every sequence and the prefix cache (the thread lost its state). */
  reset(): void {
    this.rows.length = 0;
    this.bySeq.clear();
    this.arena.clear();
    this.prefix.clear();
  }

  stats(): KvCacheStats {
    return {
      heldBytes: this.arena.bytes + this.prefix.bytes,
      arenaBytes: this.arena.bytes,
      prefixBytes: this.prefix.bytes,
      prefixBlocks: this.prefix.size,
      usedPositions: this.rows.reduce((n, s) => n + s.length, 0),
      capacityPositions: this.arena.rowCapacity * this.arena.capacity,
      sequences: this.rows.length,
      prefixQueriedTokens: this.prefix.counters.queriedTokens,
      prefixHitTokens: this.prefix.counters.hitTokens,
    };
  }

  private get(seq: number): SequenceKv {
    const s = this.bySeq.get(seq);
    if (!s) throw new InvalidArgumentError(`sequence ${seq} has no KV cache (never opened, or freed)`);
    return s;
  }

  private publish(s: SequenceKv): void {
    if (!this.options.prefixCaching) return;
    const hashes = prefixBlockHashes(s.content, Math.min(s.length, s.uniform), this.options.blockTokens);
    if (hashes.length <= s.published) return;
    this.prefix.store(
      hashes,
      s.published,
      this.arena,
      s.row,
      () => this.options.budgetBytes - this.arena.bytes,
    );
    s.published = hashes.length;
  }

  /** Grows the arena to hold `rows` rows of `positions` positions, evicting prefix blocks for room. */
  private ensure(rows: number, positions: number): void {
    const arena = this.arena;
    if (rows <= arena.rowCapacity && positions <= arena.capacity) return;
    const budget = this.options.budgetBytes;
    // Exactly what the rows need: may also be shorter than now (the scheduler's admission counted on it).
    const needPositions = alignPositions(Math.max(positions, ...this.rowLengths(), 1));
    // Some headroom first; exactly what is needed if the budget says so. Every step reads all
    // capacity positions while a re-layout copies the cache once, so the headroom that costs least
    // over a sequence's growth is about 2·√positions (64 at 1,000 positions, 128 at 4,000).
    const roomy = {
      rows:
        rows <= arena.rowCapacity
          ? arena.rowCapacity
          : Math.max(rows, Math.min(this.options.maxRows, 2 * arena.rowCapacity)),
      positions:
        positions <= arena.capacity ? arena.capacity : alignPositions(positions + 2 * Math.sqrt(positions)),
    };
    const exact = { rows: Math.max(rows, this.rows.length), positions: needPositions };
    const fit = [roomy, exact].find((c) => c.rows * c.positions * this.bpp <= budget);
    if (!fit) {
      throw new ResourceExhaustedError(
        `the KV cache needs ${exact.rows} rows × ${exact.positions} positions × ${this.bpp} bytes = ${exact.rows * exact.positions * this.bpp} bytes, over --kv-cache-bytes ${budget}`,
      );
    }
    this.prefix.shrinkTo(budget - fit.rows * fit.positions * this.bpp);
    arena.relayout(fit.rows, fit.positions, this.rowLengths());
  }

  /** Gives memory back when rows got much shorter or fewer than the arena holds. */
  private shrinkIfSparse(): void {
    const arena = this.arena;
    if (this.rows.length === 0) {
      arena.clear();
      return;
    }
    const longest = Math.max(...this.rows.map((s) => s.length));
    const positions = alignPositions(Math.max(1, longest + 2 * Math.sqrt(longest)));
    const tooLong = positions * 2 <= arena.capacity;
    const tooMany = this.rows.length * 4 <= arena.rowCapacity;
    if (!tooLong && !tooMany) return;
    arena.relayout(
      tooMany ? this.rows.length * 2 : arena.rowCapacity,
      tooLong ? positions : arena.capacity,
      this.rowLengths(),
    );
  }
}
