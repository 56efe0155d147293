import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  beamSearch,
  beamSearchGenerate,
  logSoftmaxF32,
  referenceNextLogits,
  type NextLogits,
} from './beam-search';
import { createRng } from '@internvl/generation';
import { greedyGenerate } from './generate';
import { randomWeightSource, uniformArray } from './random-weights';
import { tokenIds } from './testing/spec-helpers';
import { tinyInternVLConfig } from './tiny-config';

// Toy vocabulary for hand-checked cases.
const E = 0;
const A = 1;
const B = 2;
const C = 3;

/**
 * A NextLogits over [E, A, B, C] whose softmax is the listed distribution for each prefix (uniform for
 * prefixes not listed); records every prefix it is asked about.
 */
function toyModel(table: Record<string, [number, number, number, number]>): {
  next: NextLogits;
  asked: number[][];
} {
  const asked: number[][] = [];
  const next: NextLogits = (tokens) => {
    asked.push([...tokens]);
    const p = table[tokens.join(',')] ?? [0.25, 0.25, 0.25, 0.25];
    return Float32Array.from(p, Math.log);
  };
  return { next, asked };
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-6, `${what}: ${actual}, expected ${expected}`);
}

/*
 * Toy 1, numBeams 2, eos [E] (4 candidates per step):
 *  step 1 (cur_len 1): A .5, B .4, C .06, E .04 → beams [A] (ln .5), [B] (ln .4); E never reached.
 *  step 2 (cur_len 2): BA .36, AE .35, AA .075, AB .05 → BA beam; AE rank 1 → hyp [A] = ln .35 / 2^lp;
 *    AA beam.
 *  step 3 (cur_len 3): BAE .2232, BAA .1008, AAE .0375, AAB .0225 → hyp [B,A] = ln .2232 / 3^lp;
 *    BAA beam; AAE rank 2 ≥ k skipped; AAB beam.
 *    lp 2: [A] −0.26246, [B,A] −0.16664. early_stopping true → done → [B,A,E].
 *      false: worst −0.26246 ≥ ln .2232 / 9 = −0.16664? no → go on.
 *    lp 1: [A] −0.52491, [B,A] −0.49991; worst ≥ ln .2232 / 3 = −0.49991? no → go on.
 *  step 4 (cur_len 4): BAAE .099792, AABE .009, AABA .00675, AABB .0045.
 *    lp 2: hyp [B,A,A] = ln .099792 / 16 = −0.14404 replaces [A] (worst → −0.16664); [A,A,B] −0.2944 not
 *      kept; beams AABA, AABB; not done (−0.16664 < −0.14404) but max_new_tokens 4 reached → finalize adds
 *      AABA (ln .00675 / 16 = −0.3124) and AABB: neither kept. Best [B,A,A] → [B,A,A,E].
 *    lp 1: [B,A,A] −0.57617 and [A,A,B] not kept; worst −0.52491 ≥ −0.57617 → done, no finalize adds →
 *      [B,A,E], and no fifth step even with max_new_tokens 6.
 */
const TOY1: Record<string, [number, number, number, number]> = {
  '': [0.04, 0.5, 0.4, 0.06],
  '1': [0.7, 0.15, 0.1, 0.05],
  '2': [0.05, 0.9, 0.03, 0.02],
  '2,1': [0.62, 0.28, 0.06, 0.04],
  '1,1': [0.5, 0.1, 0.3, 0.1],
  '2,1,1': [0.99, 0.005, 0.003, 0.002],
  '1,1,2': [0.4, 0.3, 0.2, 0.1],
};

test('toy: length_penalty 2, early_stopping false finds the later, longer hypothesis', () => {
  const { next } = toyModel(TOY1);
  const r = beamSearch(next, { numBeams: 2, maxNewTokens: 4, eosIds: [E], lengthPenalty: 2 });
  assert.deepEqual(r.tokens, [B, A, A, E]);
  near(r.score, Math.log(0.36 * 0.28 * 0.99) / 16, 'score (generated_len counts the EOS)');
  assert.deepEqual(
    r.hypotheses.map((h) => h.tokens),
    [
      [B, A, A],
      [B, A],
    ],
  );
  near(r.hypotheses[1].score, Math.log(0.36 * 0.62) / 9, '[B,A] score');
});

test('toy: length_penalty 2, early_stopping true stops at the first two hypotheses', () => {
  const { next, asked } = toyModel(TOY1);
  const r = beamSearch(next, {
    numBeams: 2,
    maxNewTokens: 4,
    eosIds: [E],
    lengthPenalty: 2,
    earlyStopping: true,
  });
  assert.deepEqual(r.tokens, [B, A, E]);
  near(r.score, Math.log(0.36 * 0.62) / 9, 'score');
  assert.deepEqual(
    r.hypotheses.map((h) => h.tokens),
    [[B, A], [A]],
  );
  near(r.hypotheses[1].score, Math.log(0.5 * 0.7) / 4, '[A] score');
  assert.equal(Math.max(...asked.map((t) => t.length)), 2, 'three steps');
});

test('toy: length_penalty 1, the early_stopping=false heuristic stops before max_new_tokens', () => {
  for (const earlyStopping of [false, true]) {
    const { next, asked } = toyModel(TOY1);
    const r = beamSearch(next, { numBeams: 2, maxNewTokens: 6, eosIds: [E], earlyStopping });
    assert.deepEqual(r.tokens, [B, A, E], `early_stopping ${earlyStopping}`);
    near(r.score, Math.log(0.36 * 0.62) / 3, 'score');
    assert.equal(Math.max(...asked.map((t) => t.length)), earlyStopping ? 2 : 3, 'steps');
  }
});

test('toy: at max_new_tokens an unfinished beam can win, and gets no EOS', () => {
  const { next } = toyModel(TOY1);
  // step 2 ends with hyp [A] = ln .35 / 2 and beams BA (ln .36), AA; finalize adds BA = ln .36 / 2.
  const r = beamSearch(next, { numBeams: 2, maxNewTokens: 2, eosIds: [E] });
  assert.deepEqual(r.tokens, [B, A]);
  near(r.score, Math.log(0.36) / 2, 'score');
  assert.deepEqual(
    r.hypotheses.map((h) => h.tokens),
    [[B, A], [A]],
  );
});

test('toy: an EOS candidate ranked ≥ numBeams is not a hypothesis', () => {
  // step 2: AA .25, AE .2 (hyp [A]), BE .18 (rank 2: skipped), BC .09. step 3: AAE .225 → hyp [A,A] =
  // ln .225 / 3 beats [A] = ln .2 / 2; early_stopping true → done → [A,A,E]. Had BE counted, step 2 would
  // have ended with two hypotheses and [A,E].
  const { next } = toyModel({
    '': [0.05, 0.5, 0.3, 0.15],
    '1': [0.4, 0.5, 0.06, 0.04],
    '2': [0.6, 0.06, 0.04, 0.3],
    '1,1': [0.9, 0.05, 0.03, 0.02],
    '2,3': [0.9, 0.04, 0.03, 0.03],
  });
  const r = beamSearch(next, { numBeams: 2, maxNewTokens: 5, eosIds: [E], earlyStopping: true });
  assert.deepEqual(r.tokens, [A, A, E]);
  assert.deepEqual(
    r.hypotheses.map((h) => h.tokens),
    [[A, A], [A]],
  );
});

test('toy: several EOS ids: 3k candidates, and finalize appends the first EOS id', () => {
  // eos [E, C]. step 1: B .45, A .3 → beams. step 2: BC .405 (C is an EOS) → hyp [B] = ln .405 / 2,
  // AE .27 → hyp [A]; early_stopping true → done. Best [B], returned with E, not C.
  const { next } = toyModel({
    '': [0.1, 0.3, 0.45, 0.15],
    '2': [0.02, 0.05, 0.03, 0.9],
    '1': [0.9, 0.05, 0.03, 0.02],
  });
  const r = beamSearch(next, { numBeams: 2, maxNewTokens: 3, eosIds: [E, C], earlyStopping: true });
  assert.deepEqual(r.tokens, [B, E]);
  near(r.score, Math.log(0.45 * 0.9) / 2, 'score');
});

test('argument checks', () => {
  const { next } = toyModel({});
  assert.throws(() => beamSearch(next, { numBeams: 0, maxNewTokens: 2, eosIds: [] }), /numBeams/);
  assert.throws(() => beamSearch(next, { numBeams: 2, maxNewTokens: 0, eosIds: [] }), /maxNewTokens/);
  // 4 EOS ids: (1 + 4)·4 = 20 candidates, but 4 beams × 4 tokens offer only 16 (torch.topk would raise).
  assert.throws(() => beamSearch(next, { numBeams: 4, maxNewTokens: 2, eosIds: [0, 1, 2, 3] }), /candidates/);
  near(logSoftmaxF32(new Float32Array([0, 0]))[0], Math.log(0.5), 'log_softmax');
});

// --- the reference model ---

const VOCAB = 300;
const IMG = 7;

function setup(arch: 'Phi3ForCausalLM' | 'InternLM2ForCausalLM') {
  const cfg = tinyInternVLConfig(arch, { llm: { vocabSize: VOCAB } });
  const w = randomWeightSource(cfg, 12);
  const prompt = [1, ...tokenIds(3, 10, VOCAB), IMG, IMG, IMG, ...tokenIds(4, 10, VOCAB, 3)];
  const image = uniformArray(createRng(4), 3 * 64, -1, 1);
  return { cfg, w, prompt, image };
}

for (const arch of ['Phi3ForCausalLM', 'InternLM2ForCausalLM'] as const) {
  test(`${arch}: numBeams 1 picks the greedy tokens`, () => {
    const { cfg, w, prompt, image } = setup(arch);
    const free = greedyGenerate(cfg, w, prompt, image, IMG, 5, []);
    assert.deepEqual(
      beamSearchGenerate(cfg, w, prompt, image, IMG, { numBeams: 1, maxNewTokens: 5, eosIds: [] }),
      free,
    );
    const eos = [free[2]];
    const stopped = greedyGenerate(cfg, w, prompt, image, IMG, 5, eos);
    assert.deepEqual(
      beamSearchGenerate(cfg, w, prompt, image, IMG, { numBeams: 1, maxNewTokens: 5, eosIds: eos }),
      stopped,
    );
  });
}

/** sum of log-probs of `tokens` under the reference / length ** lp (HF's score for that sequence) */
function sequenceScore(next: NextLogits, tokens: number[], lp: number): number {
  let sum = 0;
  tokens.forEach((t, i) => (sum += logSoftmaxF32(next(tokens.slice(0, i)))[t]));
  return sum / tokens.length ** lp;
}

// Not a theorem: beam search can end below greedy (the greedy prefix can be pruned and then out-score the
// survivors; e.g. InternLM2 on this prompt with eos 157 and 4 beams). On this case it holds for every k and lp.
test('Phi3ForCausalLM: beam search scores at least the greedy answer on its own objective', () => {
  const { cfg, w, prompt, image } = setup('Phi3ForCausalLM');
  const next = referenceNextLogits(cfg, w, prompt, image, IMG);
  const maxNewTokens = 5;
  const eosIds = [greedyGenerate(cfg, w, prompt, image, IMG, maxNewTokens, [])[1]];
  const greedy = greedyGenerate(cfg, w, prompt, image, IMG, maxNewTokens, eosIds);
  assert.equal(greedy.length, 2);
  let eosHypotheses = 0;
  for (const lengthPenalty of [1, 2]) {
    const greedyScore = sequenceScore(next, greedy, lengthPenalty);
    for (const numBeams of [2, 4]) {
      const what = `k=${numBeams} lp=${lengthPenalty}`;
      const r = beamSearch(next, { numBeams, maxNewTokens, eosIds, lengthPenalty });
      const score = sequenceScore(next, r.tokens, lengthPenalty);
      near(r.score, score, `${what}: HF score = recomputed score`);
      assert.ok(score >= greedyScore - 1e-6, `${what}: ${score} < greedy ${greedyScore}`);
      // Every kept hypothesis scores as its sequence with the EOS (generated_len counts it).
      for (const h of r.hypotheses) {
        const ended = h.tokens.length < maxNewTokens;
        if (ended) eosHypotheses++;
        const seq = ended ? [...h.tokens, eosIds[0]] : h.tokens;
        near(h.score, sequenceScore(next, seq, lengthPenalty), `${what}: hypothesis ${seq.join(',')}`);
      }
      const viaWrapper = beamSearchGenerate(cfg, w, prompt, image, IMG, {
        numBeams,
        maxNewTokens,
        eosIds,
        lengthPenalty,
      });
      assert.deepEqual(viaWrapper, r.tokens);
    }
  }
  assert.ok(eosHypotheses > 0, 'some hypothesis ended by the EOS');
});
