import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InternalError } from '@internvl/errors';
import type { PrefillProgress, PromptInput, StepModel } from '../engine/step-model';
import { BatchScheduler, type BatchSchedulerOptions } from './batch-scheduler';
import type { GenerationEvent } from './generation-events';
import type { SequenceRequest } from './sequence';

const V = 8;

/** A decoder whose next token is (last token + 1) mod 6; it records every call. */
class CountingModel implements StepModel {
  readonly vocabSize = V;
  readonly calls: string[] = [];
  readonly freed: number[] = [];
  failNextDecode = false;
  private oneHot(rows: number[]): Float32Array {
    const out = new Float32Array(rows.length * V);
    rows.forEach((t, r) => (out[r * V + ((t + 1) % 6)] = 1));
    return out;
  }
  private readonly prompts = new Map<number, { ids: Int32Array; done: number }>();
  async prefill(seq: number, prompt: PromptInput | undefined, maxTokens: number): Promise<PrefillProgress> {
    if (prompt) this.prompts.set(seq, { ids: prompt.inputIds, done: 0 });
    const p = this.prompts.get(seq)!;
    const count = Math.min(maxTokens, p.ids.length - p.done);
    p.done += count;
    this.calls.push(`prefill ${seq} ${count}`);
    const logits = p.done === p.ids.length ? this.oneHot([p.ids[p.ids.length - 1]!]) : undefined;
    return { logits, done: p.done, cachedTokens: 0 };
  }
  async decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
    this.calls.push(`decode ${seqs.join(',')}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.failNextDecode) throw new InternalError('the llm inference thread crashed: boom');
    return this.oneHot([...tokens]);
  }
  free(seqs: readonly number[]): void {
    this.freed.push(...seqs);
  }
  async fork(): Promise<void> {
    throw new InternalError('no beam search here');
  }
  async reorder(): Promise<void> {
    throw new InternalError('no beam search here');
  }
}

function request(first: number, maxNewTokens: number, promptLength = 1): SequenceRequest {
  return {
    inputIds: Int32Array.from({ length: promptLength }, () => first),
    imageTokens: 0,
    sampling: { temperature: 0, topP: 1, topK: 0, repetitionPenalty: 1 },
    stopTokenIds: [7],
    stopStrings: [],
    maxNewTokens,
    decode: (ids) => ids.map((i) => String.fromCharCode(97 + i)).join(''),
    specialIds: new Set(),
  };
}

/** A scheduler over `model` with the spec's queue hint; 4 slots, a queue of 4, 64-token chunks unless said. */
function schedulerOver(
  model: StepModel,
  { maxActive = 4, maxQueue = 4, prefillChunkTokens = 64 }: Partial<BatchSchedulerOptions> = {},
): BatchScheduler {
  return new BatchScheduler({
    model,
    maxActive,
    maxQueue,
    queueLimitHint: '--max-queue',
    prefillChunkTokens,
  });
}

async function collect(
  events: AsyncIterable<GenerationEvent>,
): Promise<{ text: string; ids: number[]; reason?: string }> {
  const out: { text: string; ids: number[]; reason?: string } = { text: '', ids: [] };
  for await (const e of events) {
    if (e.type === 'delta') {
      out.text += e.text;
      out.ids.push(...e.tokenIds);
    } else out.reason = e.reason;
  }
  return out;
}

test('sequences decode together; a later one joins between steps; each frees its cache when done', async () => {
  const model = new CountingModel();
  const scheduler = schedulerOver(model);
  const signal = new AbortController().signal;
  const a = collect(scheduler.submit(request(0, 4), signal));
  const b = collect(scheduler.submit(request(2, 2), signal));
  await new Promise((resolve) => setTimeout(resolve, 3));
  const c = collect(scheduler.submit(request(4, 2), signal));
  assert.deepEqual(await a, { text: 'bcde', ids: [1, 2, 3, 4], reason: 'length' });
  assert.deepEqual(await b, { text: 'de', ids: [3, 4], reason: 'length' });
  assert.deepEqual(await c, { text: 'fa', ids: [5, 0], reason: 'length' });
  assert.ok(model.calls.includes('decode 1,2'), model.calls.join(' | '));
  assert.ok(
    model.calls.some((c) => /^decode (1,3|3,1|1,2,3)$/.test(c)),
    model.calls.join(' | '),
  );
  assert.deepEqual([...model.freed].sort(), [1, 2, 3]);
  assert.equal(scheduler.activeCount, 0);
});

test('a cancelled queued sequence never reaches the model; a failed step fails only its batch', async () => {
  const model = new CountingModel();
  const scheduler = schedulerOver(model, { maxActive: 1 });
  const controller = new AbortController();
  const first = collect(scheduler.submit(request(0, 3), new AbortController().signal));
  const second = collect(scheduler.submit(request(0, 3), controller.signal));
  controller.abort();
  assert.deepEqual(await second, { text: '', ids: [], reason: 'cancelled' });
  assert.equal((await first).reason, 'length');
  assert.ok(!model.calls.some((c) => c.startsWith('prefill 2')));

  model.failNextDecode = true;
  await assert.rejects(
    collect(scheduler.submit(request(0, 5), new AbortController().signal)),
    /crashed: boom/,
  );
  model.failNextDecode = false;
  assert.equal(
    (await collect(scheduler.submit(request(0, 2), new AbortController().signal))).reason,
    'length',
  );
});

test('leaving the iteration early cancels the sequence; close() cancels the rest', async () => {
  const model = new CountingModel();
  const scheduler = schedulerOver(model, { maxActive: 2, maxQueue: 2 });
  for await (const event of scheduler.submit(request(0, 1000), new AbortController().signal)) {
    if (event.type === 'delta') break;
  }
  const rest = collect(scheduler.submit(request(0, 1000), new AbortController().signal));
  await new Promise((resolve) => setTimeout(resolve, 5));
  await scheduler.close();
  assert.equal((await rest).reason, 'cancelled');
  assert.equal(scheduler.activeCount, 0);
  assert.deepEqual([...model.freed].sort(), [1, 2]);
});

test('a long prompt goes in chunks, with decode steps of the running sequence between them', async () => {
  const model = new CountingModel();
  const scheduler = schedulerOver(model, { prefillChunkTokens: 4 });
  const signal = new AbortController().signal;
  const running = collect(scheduler.submit(request(0, 8), signal));
  await new Promise((resolve) => setTimeout(resolve, 3));
  const long = collect(scheduler.submit(request(2, 2, 10), signal));
  assert.equal((await long).reason, 'length');
  assert.deepEqual((await running).ids, [1, 2, 3, 4, 5, 0, 1, 2]);
  const calls = model.calls.filter((c) => c.startsWith('prefill 2') || c.startsWith('decode'));
  const first = calls.indexOf('prefill 2 4');
  assert.deepEqual(calls.slice(first, first + 5), [
    'prefill 2 4',
    'decode 1',
    'prefill 2 4',
    'decode 1',
    'prefill 2 2',
  ]);
});
