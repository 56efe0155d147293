import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CheckpointReader } from '@internvl/checkpoint';
import type { GenerationParams, TextDelta, TokenLogprob } from '@internvl/contracts';
import { applyPresenceFrequencyPenalty, argmax } from '@internvl/generation';
import {
  cachedGenerationRotary,
  cachedWeights,
  decoderHiddenStates,
  embedTokens,
  lmHeadLogits,
  type WeightSource,
} from '@internvl/reference-model';
import { tokenPiece } from '@internvl/tokenizer';
import {
  conversationHeader,
  expectError,
  generate,
  serveTinyModel,
  user,
  type TinyModel,
} from './testing/llm-fixtures';

// logprobs and OpenAI's presence/frequency penalties through the real tier, checked against the
// in-process reference forward on the same checkpoint.

/**
 * Reference logits, teacher-forced: for each generated token i, the [vocab] row the model gives
 * at its position (prompt + generated[0..i-1]), with the rotation cached decoding uses.
 */
function referenceRows(model: TinyModel, weights: WeightSource, prompt: number[], generated: number[]) {
  const { config } = model.checkpoint;
  const ids = [...prompt, ...generated.slice(0, -1)];
  const T = ids.length;
  const hidden = decoderHiddenStates(
    config,
    weights,
    embedTokens(config, weights, ids),
    T,
    undefined,
    cachedGenerationRotary(config, prompt.length, T),
  );
  const V = config.llm.vocabSize;
  const logits = lmHeadLogits(config, weights, hidden, generated.length, prompt.length - 1);
  return generated.map((_, i) => logits.subarray(i * V, (i + 1) * V));
}

/** log-softmax in float64. */
function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const z = max + Math.log(sum);
  return Float64Array.from(row, (v) => v - z);
}

const logprobsOf = (deltas: TextDelta[]): TokenLogprob[] => deltas.flatMap((d) => d.logprobs);

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: logprobs through the llm tier`, () => {
    const { model, served } = serveTinyModel(llm, { seed: 13 });
    let weights: WeightSource;
    before(() => {
      weights = cachedWeights(CheckpointReader.open(model.checkpoint.dir));
    });

    const run = (params: Partial<GenerationParams>) =>
      generate(
        served.client,
        conversationHeader(
          [user('Count to ten, please.')],
          [],
          { maxNewTokens: 8, ...params },
          { returnPrompt: true },
        ),
      );

    test('greedy: each token’s logprob is the log-softmax of the reference logits (1e-4); top_logprobs sorted, led by the token', async () => {
      const got = await run({ logprobs: true, topLogprobs: 5 });
      const entries = logprobsOf(got.deltas as TextDelta[]);
      assert.equal(entries.length, got.tokenIds.length, 'one entry per generated token');
      assert.ok(got.tokenIds.length > 1);
      const rows = referenceRows(model, weights, got.prompt!.inputIds, got.tokenIds);
      const tokenizer = served.runtime.model.tokenizer;
      entries.forEach((entry, i) => {
        const reference = logSoftmax(rows[i]!);
        assert.equal(entry.tokenId, got.tokenIds[i]);
        assert.equal(argmax(rows[i]!), entry.tokenId, `step ${i}: greedy picks the reference argmax`);
        assert.ok(
          Math.abs(entry.logprob - reference[entry.tokenId]!) < 1e-4,
          `step ${i}: ${entry.logprob} vs reference ${reference[entry.tokenId]}`,
        );
        assert.ok(entry.logprob <= 0);
        assert.equal(entry.top.length, 5);
        assert.equal(
          entry.top[0]!.tokenId,
          entry.tokenId,
          'under greedy the chosen token is the most likely',
        );
        assert.equal(entry.top[0]!.logprob, entry.logprob);
        for (let k = 1; k < entry.top.length; k++) {
          assert.ok(entry.top[k - 1]!.logprob >= entry.top[k]!.logprob, `step ${i}: sorted`);
        }
        for (const alt of entry.top) {
          assert.ok(
            Math.abs(alt.logprob - reference[alt.tokenId]!) < 1e-4,
            `step ${i}, alternative ${alt.tokenId}`,
          );
        }
        // token and bytes come from the tokenizer's piece of the id.
        const piece = tokenPiece(tokenizer, entry.tokenId);
        assert.equal(entry.token, piece.text);
        assert.deepEqual([...entry.bytes], [...piece.bytes]);
        assert.equal(entry.top[0]!.token, piece.text);
      });
    });

    test('logprobs are of the raw logits: sampling with temperature and penalties does not change them', async () => {
      const got = await run({
        logprobs: true,
        topLogprobs: 2,
        temperature: 1.5,
        seed: 7,
        presencePenalty: 1,
        frequencyPenalty: 0.5,
        repetitionPenalty: 1.3,
      });
      const entries = logprobsOf(got.deltas as TextDelta[]);
      const rows = referenceRows(model, weights, got.prompt!.inputIds, got.tokenIds);
      entries.forEach((entry, i) => {
        const reference = logSoftmax(rows[i]!);
        assert.ok(Math.abs(entry.logprob - reference[entry.tokenId]!) < 1e-4, `step ${i}`);
        assert.equal(entry.top[0]!.tokenId, argmax(rows[i]!), `step ${i}: the raw argmax leads top_logprobs`);
      });
    });

    test('without logprobs nothing is computed or sent', async () => {
      const got = await run({});
      assert.ok(got.tokenIds.length > 0);
      assert.deepEqual(logprobsOf(got.deltas as TextDelta[]), []);
      const plain = await run({ logprobs: true });
      assert.deepEqual(plain.tokenIds, got.tokenIds, 'asking for logprobs does not change the answer');
      assert.ok(logprobsOf(plain.deltas as TextDelta[]).every((e) => e.top.length === 0));
    });
  });
}

describe('phi3: presence/frequency penalties through the llm tier', () => {
  // Seed 13 loops on this prompt within 24 tokens (most random tiny models never repeat a token).
  const { model, served } = serveTinyModel('phi3', { seed: 13 });
  let weights: WeightSource;
  before(() => {
    weights = cachedWeights(CheckpointReader.open(model.checkpoint.dir));
  });

  const N = 24;
  const run = (params: Partial<GenerationParams>) =>
    generate(
      served.client,
      conversationHeader(
        [user('again again again again')],
        [],
        { maxNewTokens: N, stopTokenIds: [], ...params },
        {
          returnPrompt: true,
        },
      ),
    );

  /** Greedy on the reference logits with OpenAI's penalties over the generated tokens. */
  function referencePenalized(
    prompt: number[],
    presence: number,
    frequency: number,
    stop: readonly number[],
  ) {
    const generated: number[] = [];
    for (let step = 0; step < N; step++) {
      const rows = referenceRows(model, weights, prompt, [...generated, 0]);
      const row = Float32Array.from(rows[rows.length - 1]!);
      const next = argmax(applyPresenceFrequencyPenalty(row, generated, presence, frequency));
      generated.push(next);
      if (stop.includes(next)) break;
    }
    return generated;
  }

  const distinct = (ids: number[]) => new Set(ids).size;

  test('penalties change a repetitive greedy answer, exactly as the formula on the reference logits', async () => {
    const plain = await run({});
    assert.ok(
      distinct(plain.tokenIds) < plain.tokenIds.length,
      `the plain answer repeats: ${plain.tokenIds}`,
    );
    const stop = served.runtime.model.manifest.tokens.stop;
    const prompt = plain.prompt!.inputIds;
    for (const [presence, frequency] of [
      [1.5, 0],
      [0, 1],
      [0.5, 0.5],
    ] as const) {
      const got = await run({ presencePenalty: presence, frequencyPenalty: frequency });
      assert.notDeepEqual(got.tokenIds, plain.tokenIds, `presence ${presence}, frequency ${frequency}`);
      assert.deepEqual(got.tokenIds, referencePenalized(prompt, presence, frequency, stop));
    }
    const spread = await run({ presencePenalty: 2 });
    assert.ok(distinct(spread.tokenIds) > distinct(plain.tokenIds), 'a positive penalty repeats less');
    const sticky = await run({ frequencyPenalty: -2 });
    assert.ok(distinct(sticky.tokenIds) <= distinct(plain.tokenIds), 'a negative penalty repeats more');
  });

  test('penalties outside [-2, 2] and bad top_logprobs are INVALID_ARGUMENT naming the field', async () => {
    await expectError(run({ presencePenalty: 2.5 }), status.INVALID_ARGUMENT, /presence_penalty is 2\.5/);
    await expectError(run({ frequencyPenalty: -3 }), status.INVALID_ARGUMENT, /frequency_penalty is -3/);
    await expectError(
      run({ topLogprobs: 2 }),
      status.INVALID_ARGUMENT,
      /top_logprobs is 2 but logprobs is false/,
    );
    await expectError(
      run({ logprobs: true, topLogprobs: 21 }),
      status.INVALID_ARGUMENT,
      /top_logprobs is 21/,
    );
  });
});
