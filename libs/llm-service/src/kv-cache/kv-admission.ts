import { alignPositions } from './kv-layout';

/**
 * The scheduler's side of the KV budget: a sequence is admitted only if the arena could hold every
 * admitted sequence at the longest one's full length (prompt + max_new_tokens, aligned), since
 * arena rows share one length. Then a running sequence never runs out of cache: requests wait in
 * the queue instead of being preempted, and only one that could never fit alone is refused.
 */
export class KvAdmission {
  private readonly reserved = new Map<number, number>();

  constructor(
    readonly budgetBytes: number,
    readonly bytesPerPosition: number,
  ) {}

  /** Bytes a sequence of `positions` positions needs with nothing else running. */
  bytesAlone(positions: number): number {
    return alignPositions(positions) * this.bytesPerPosition;
  }

  fitsAlone(positions: number): boolean {
    return this.bytesAlone(positions) <= this.budgetBytes;
  }

  canAdmit(positions: number): boolean {
    let longest = alignPositions(positions);
    for (const p of this.reserved.values()) longest = Math.max(longest, p);
    return (this.reserved.size + 1) * longest * this.bytesPerPosition <= this.budgetBytes;
  }

  admit(seq: number, positions: number): void {
    this.reserved.set(seq, alignPositions(positions));
  }

  release(seq: number): void {
    this.reserved.delete(seq);
  }

  get admitted(): number {
    return this.reserved.size;
  }
}
