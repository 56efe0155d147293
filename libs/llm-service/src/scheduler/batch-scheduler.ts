import { context, trace, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import { InternalError, LimitExceededError, ResourceExhaustedError } from '@internvl/errors';
import type { FinishReason } from '@internvl/generation';
import { SCOPE_NAME, SPAN_ATTR, SPAN_NAME } from '@internvl/service-kit';
import type { PrefillProgress, StepModel } from '../engine/step-model';
import type { KvAdmission } from '../kv-cache/kv-admission';
import type { GenerationEvent, GenerationTimings, GenerationUsage } from './generation-events';
import type { BeamSettings } from '../request/beam-settings';
import { BeamGroup } from './beam-group';
import { Sequence, type SequenceRequest } from './sequence';

/** What the scheduler reports as it works (metrics live behind this). */
export interface SchedulerObserver {
  admitted(queueMs: number): void;
  firstToken(ms: number): void;
  step(sequences: number, ms: number): void;
  finished(reason: FinishReason, usage: GenerationUsage, timings: GenerationTimings): void;
}

export interface BatchSchedulerOptions {
  model: StepModel;
  /** Sequences decoding together; more wait in the queue. */
  maxActive: number;
  /** Sequences allowed to wait; more are refused with RESOURCE_EXHAUSTED. */
  maxQueue: number;
  /** Most prompt tokens prefilled between two decode steps (long prompts go in chunks). */
  prefillChunkTokens: number;
  /** How the user raises the limits, for the error message. */
  queueLimitHint: string;
  /** The KV budget: sequences wait until theirs fits (none: unbounded, for scripted models). */
  admission?: KvAdmission;
  /** How the user raises the KV budget, for the error message. */
  kvLimitHint?: string;
  observer?: SchedulerObserver;
}

const tracer = trace.getTracer(SCOPE_NAME.llm);
const GEN_AI = SPAN_ATTR.genAi;

/**
 * Continuous batching (Orca-style iteration scheduling): every step runs one decoder pass over all
 * active sequences; between steps, up to `prefillChunkTokens` prompt tokens of waiting sequences
 * are prefilled (a long prompt over several steps, so the running streams keep generating while
 * it goes in), prefilled sequences join, and finished or cancelled ones leave and free their KV
 * cache. A sequence whose caller went away is dropped at the next step boundary.
 */
export class BatchScheduler {
  private readonly queue: Sequence[] = [];
  private active: Sequence[] = [];
  /** Beam-search requests decoding (each holds numBeams rows). */
  private groups: BeamGroup[] = [];
  /** The sequence whose prompt is going in, chunk by chunk (it holds a slot). */
  /** `done`: prompt positions in the cache, once the first chunk went in. */
  private prefilling: { seq: Sequence; done?: number } | undefined;
  private readonly parents = new Map<Sequence, { parent: Context; prefill?: Span; decode?: Span }>();
  private nextId = 1;
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: BatchSchedulerOptions) {}

  /** Decode steps run, the most sequences one carried, and the tokens and time of all of them. */
  readonly stats = { steps: 0, largestBatch: 0, decodeTokens: 0, decodeMs: 0 };

  /** Sequences holding a slot and a KV cache: decoding, or having their prompt prefilled. */
  get activeCount(): number {
    return this.decodingRows + (this.prefilling ? 1 : 0);
  }

  /** Rows of the decoding batch: one per sequence, one per beam. */
  private get decodingRows(): number {
    return this.active.length + this.groups.reduce((n, g) => n + g.members.length, 0);
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Queues a generation; its events arrive on the returned iterable. Aborting `signal` (or
   * leaving the iteration early) cancels it.
   * @throws ResourceExhaustedError when the queue is full.
   */
  submit(request: SequenceRequest, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    if (this.closed) throw new InternalError('the llm scheduler is shut down');
    if (this.queue.length >= this.options.maxQueue) {
      throw new ResourceExhaustedError(
        `the llm queue is full: ${this.queue.length} sequences waiting (limit ${this.options.maxQueue}, ${this.options.queueLimitHint}) and ${this.active.length} generating; retry later or add llm replicas`,
      );
    }
    const positions = request.inputIds.length + request.maxNewTokens;
    const rows = request.beam?.numBeams ?? 1;
    const admission = this.options.admission;
    if (admission && !admission.fitsAlone(positions, rows)) {
      throw new LimitExceededError(
        `this request's KV cache would need ${rows * admission.bytesAlone(positions)} bytes (${request.inputIds.length} prompt + ${request.maxNewTokens} max_new_tokens positions at ${admission.bytesPerPosition} bytes each${rows > 1 ? `, for each of ${rows} beams` : ''}), more than the whole budget of ${admission.budgetBytes} bytes (${this.options.kvLimitHint ?? 'kv cache bytes'}); ask for fewer max_new_tokens or send a shorter prompt`,
      );
    }
    const seq = new Sequence(this.nextId++, request, () => this.wake());
    this.parents.set(seq, { parent: context.active() });
    const cancel = () => {
      seq.cancelled = true;
      this.wake();
    };
    if (signal.aborted) seq.cancelled = true;
    else signal.addEventListener('abort', cancel, { once: true });
    this.queue.push(seq);
    this.wake();
    return {
      [Symbol.asyncIterator]: () => {
        const it = seq.channel[Symbol.asyncIterator]();
        return {
          next: () => it.next(),
          return: () => {
            signal.removeEventListener('abort', cancel);
            return it.return!();
          },
        };
      },
    };
  }

  /** Cancels everything and waits for the loop to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const seq of [...this.queue, ...this.active, ...this.groups.map((g) => g.leader)])
      seq.cancelled = true;
    if (this.prefilling) this.prefilling.seq.cancelled = true;
    this.wake();
    await this.idle;
  }

  private wake(): void {
    if (this.running) return;
    this.running = true;
    this.idle = this.loop().finally(() => {
      this.running = false;
      // A sequence submitted while the loop was returning would otherwise wait for the next one.
      if (this.queue.length > 0 && !this.closed) this.wake();
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.dropCancelled();
      if (!this.prefilling && this.queue.length === 0 && this.decodingRows === 0) return;
      await this.prefillSome();
      this.dropCancelled();
      if (this.decodingRows > 0) await this.step();
    }
  }

  /** Spends one step's prefill budget: on the prompt going in, then on queued ones while slots are free. */
  private async prefillSome(): Promise<void> {
    let budget = this.options.prefillChunkTokens;
    while (budget > 0 && !this.closed) {
      if (!this.prefilling) {
        if (this.queue.length === 0) return;
        // First come, first served: the head waits for rows and KV room rather than being overtaken.
        const head = this.queue[0]!;
        const rows = head.request.beam?.numBeams ?? 1;
        if (this.decodingRows > 0 && this.decodingRows + rows > this.options.maxActive) return;
        const positions = head.request.inputIds.length + head.request.maxNewTokens;
        if (this.options.admission && !this.options.admission.canAdmit(positions, rows)) return;
        this.options.admission?.admit(head.id, positions, rows);
        this.prefilling = { seq: this.admit(this.queue.shift()!) };
      }
      const current = this.prefilling;
      const { seq } = current;
      if (seq.cancelled) return;
      const { inputIds, imageEmbeds, imageRows } = seq.request;
      let progress: PrefillProgress;
      try {
        // The prompt goes with the first chunk; a copy moves to the inference thread, the
        // sequence keeps its ids for usage.
        const first = current.done === undefined;
        const prompt = first ? { inputIds: inputIds.slice(), imageEmbeds, imageRows } : undefined;
        const before = current.done ?? 0;
        progress = await this.options.model.prefill(seq.id, prompt, budget);
        const computed = progress.done - before - (first ? progress.cachedTokens : 0);
        budget -= Math.max(1, computed);
      } catch (err) {
        this.prefilling = undefined;
        this.options.model.free([seq.id]);
        this.fail(seq, err);
        continue;
      }
      if (current.done === undefined) this.recordCached(seq, progress.cachedTokens);
      current.done = progress.done;
      if (progress.logits) {
        this.prefilling = undefined;
        await this.join(seq, progress.logits);
      }
    }
  }

  private dropCancelled(): void {
    if (this.prefilling?.seq.cancelled) {
      const { seq } = this.prefilling;
      this.prefilling = undefined;
      this.options.model.free([seq.id]);
      this.end(seq, 'cancelled');
    }
    for (const seq of this.queue.filter((s) => s.cancelled)) {
      this.queue.splice(this.queue.indexOf(seq), 1);
      this.end(seq, 'cancelled');
    }
    for (const group of this.groups.filter((g) => g.leader.cancelled)) {
      this.groups.splice(this.groups.indexOf(group), 1);
      this.options.model.free(group.members);
      this.end(group.leader, 'cancelled');
    }
    const gone = this.active.filter((s) => s.cancelled);
    if (gone.length === 0) return;
    this.active = this.active.filter((s) => !s.cancelled);
    this.options.model.free(gone.map((s) => s.id));
    for (const seq of gone) this.end(seq, 'cancelled');
  }

  /** A queued sequence takes a slot: its queue time ends and its prefill span starts. */
  private admit(seq: Sequence): Sequence {
    seq.admittedAt = performance.now();
    this.options.observer?.admitted(seq.admittedAt - seq.arrivedAt);
    const trace = this.parents.get(seq)!;
    trace.prefill = tracer.startSpan(
      SPAN_NAME.llm.prefill,
      { attributes: { [GEN_AI.usageInputTokens]: seq.request.inputIds.length } },
      trace.parent,
    );
    return seq;
  }

  private recordCached(seq: Sequence, cachedTokens: number): void {
    seq.cachedTokens = cachedTokens;
    this.parents.get(seq)?.prefill?.setAttribute(GEN_AI.usageCacheReadInputTokens, cachedTokens);
  }

  /** A fully prefilled sequence samples its first token and joins the decoding batch. */
  private async join(seq: Sequence, logits: Float32Array): Promise<void> {
    const trace = this.parents.get(seq)!;
    trace.prefill?.end();
    trace.prefill = undefined;
    if (seq.request.beam) {
      await this.startBeams(seq, seq.request.beam, logits);
      return;
    }
    let reason: FinishReason | undefined;
    try {
      await seq.prepareMask();
      reason = seq.accept(logits);
    } catch (err) {
      this.options.model.free([seq.id]);
      this.fail(seq, err);
      return;
    }
    this.options.observer?.firstToken(seq.firstTokenAt! - seq.arrivedAt);
    if (reason) {
      this.options.model.free([seq.id]);
      this.end(seq, reason);
      return;
    }
    trace.decode = tracer.startSpan(SPAN_NAME.llm.decode, {}, trace.parent);
    this.active.push(seq);
  }

  /**
   * A prefilled beam-search request expands its prompt's logits into k beams: k−1 new engine
   * sequences forked from the prefilled one (all rows equal, so the first choice of beams needs
   * no copying), then joins the batch as a group.
   */
  private async startBeams(seq: Sequence, settings: BeamSettings, logits: Float32Array): Promise<void> {
    const members = [seq.id, ...Array.from({ length: settings.numBeams - 1 }, () => this.nextId++)];
    const group = new BeamGroup(seq, members, settings);
    try {
      const first = group.search.step(members.map(() => logits));
      await this.options.model.fork(seq.id, members.slice(1));
      group.tokens = first.tokens;
      if (group.finished(first.done)) this.finishGroup(group);
      else {
        const spans = this.parents.get(seq)!;
        spans.decode = tracer.startSpan(SPAN_NAME.llm.decode, {}, spans.parent);
        this.groups.push(group);
      }
    } catch (err) {
      this.options.model.free(members);
      this.fail(seq, err);
    }
  }

  /** Applies one step's logits rows to a group: the search picks beams, the engine copies caches. */
  private async advanceGroup(group: BeamGroup, rows: Float32Array[]): Promise<void> {
    try {
      const step = group.search.step(rows);
      if (group.finished(step.done)) {
        this.groups.splice(this.groups.indexOf(group), 1);
        this.finishGroup(group);
        return;
      }
      await this.options.model.reorder(
        group.members,
        step.sources.map((b) => group.members[b]!),
      );
      group.tokens = step.tokens;
    } catch (err) {
      this.groups.splice(this.groups.indexOf(group), 1);
      this.options.model.free(group.members);
      this.fail(group.leader, err);
    }
  }

  private finishGroup(group: BeamGroup): void {
    const reason = group.leader.emitAll(group.search.best());
    this.options.observer?.firstToken(group.leader.firstTokenAt! - group.leader.arrivedAt);
    this.options.model.free(group.members);
    this.end(group.leader, reason);
  }

  private async step(): Promise<void> {
    const batch = this.active;
    const groups = this.groups;
    const started = performance.now();
    let logits: Float32Array;
    try {
      const running = this.options.model.decode(
        [...batch.map((s) => s.id), ...groups.flatMap((g) => g.members)],
        [...batch.map((s) => s.lastToken), ...groups.flatMap((g) => g.tokens)],
      );
      // Constrained sequences work out their next token masks while the decoder runs.
      const masks = Promise.all(batch.map((s) => s.prepareMask()));
      [logits] = await Promise.all([running, masks]);
    } catch (err) {
      // The batch shares one run (and, after a thread crash, a lost cache): all of it fails.
      this.active = this.active.filter((s) => !batch.includes(s));
      this.groups = this.groups.filter((g) => !groups.includes(g));
      this.options.model.free([...batch.map((s) => s.id), ...groups.flatMap((g) => g.members)]);
      for (const seq of [...batch, ...groups.map((g) => g.leader)]) this.fail(seq, err);
      return;
    }
    const stepMs = performance.now() - started;
    const rows = batch.length + groups.reduce((n, g) => n + g.members.length, 0);
    this.options.observer?.step(rows, stepMs);
    this.stats.steps++;
    this.stats.decodeTokens += rows;
    this.stats.decodeMs += stepMs;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, rows);
    const V = this.options.model.vocabSize;
    const done: Sequence[] = [];
    batch.forEach((seq, r) => {
      if (seq.cancelled) return;
      let reason: FinishReason | undefined;
      try {
        reason = seq.accept(logits.subarray(r * V, (r + 1) * V));
      } catch (err) {
        done.push(seq);
        this.fail(seq, err);
        return;
      }
      if (reason) {
        done.push(seq);
        this.end(seq, reason);
      }
    });
    if (done.length > 0) {
      this.active = this.active.filter((s) => !done.includes(s));
      this.options.model.free(done.map((s) => s.id));
    }
    let row = batch.length;
    for (const group of groups) {
      const k = group.members.length;
      const rowsOf = Array.from({ length: k }, (_, j) => logits.subarray((row + j) * V, (row + j + 1) * V));
      row += k;
      if (!group.leader.cancelled) await this.advanceGroup(group, rowsOf);
    }
  }

  private end(seq: Sequence, reason: FinishReason): void {
    this.options.admission?.release(seq.id);
    const { usage, timings } = seq.finish(reason);
    const t = this.parents.get(seq);
    this.parents.delete(seq);
    t?.prefill?.end();
    if (t?.decode) {
      t.decode.setAttribute(GEN_AI.usageOutputTokens, seq.generated.length);
      t.decode.setAttribute(GEN_AI.responseFinishReasons, [reason]);
      t.decode.end();
    }
    this.options.observer?.finished(reason, usage, timings);
  }

  private fail(seq: Sequence, err: unknown): void {
    this.options.admission?.release(seq.id);
    const t = this.parents.get(seq);
    this.parents.delete(seq);
    if (t?.prefill) fail(t.prefill, err);
    if (t?.decode) fail(t.decode, err);
    seq.fail(err);
  }
}

function fail(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}
