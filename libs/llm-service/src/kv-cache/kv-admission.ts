import { alignPositions } from './kv-layout';

/**
 * The scheduler's side of the KV budget: a sequence is admitted only if the arena could hold every
 * admitted sequence at the longest one's full length (prompt + max_new_tokens, aligned), since
 * arena rows share one length. Then a running sequence never runs out of cache: requests wait in
 * the queue instead of being preempted, and only one that could never fit alone is refused.
 */
export class KvAdmission {
  /** Per admitted request: positions per row and rows (beam search holds one row per beam). */
  private readonly reserved = new Map<number, { positions: number; rows: number }>();

  constructor(
    readonly budgetBytes: number,
    readonly bytesPerPosition: number,
  ) {}

  /** Bytes a sequence of `positions` positions needs with nothing else running. */
  bytesAlone(positions: number): number {
    return alignPositions(positions) * this.bytesPerPosition;
  }

  fitsAlone(positions: number, rows = 1): boolean {
    return rows * this.bytesAlone(positions) <= this.budgetBytes;
  }

  canAdmit(positions: number, rows = 1): boolean {
    let longest = alignPositions(positions);
    let total = rows;
    for (const r of this.reserved.values()) {
      longest = Math.max(longest, r.positions);
      total += r.rows;
    }
    return total * longest * this.bytesPerPosition <= this.budgetBytes;
  }

  admit(seq: number, positions: number, rows = 1): void {
    this.reserved.set(seq, { positions: alignPositions(positions), rows });
  }

  release(seq: number): void {
    this.reserved.delete(seq);
  }

  /** Rows reserved by admitted requests. */
  get admitted(): number {
    let rows = 0;
    for (const r of this.reserved.values()) rows += r.rows;
    return rows;
  }
}
