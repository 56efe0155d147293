import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTinyCheckpoint, parseInternVLConfig } from '@internvl/checkpoint';
import { convertCheckpoint } from '@internvl/converter';
import {
  conversationHeader,
  generate,
  referenceTokens,
  serve,
  user,
  type Served,
} from './testing/llm-fixtures';

// Rotation past the point where it changes: Phi-3 LongRoPE switches to its long factors past
// original_max_position_embeddings, InternLM2 dynamic NTK rescales its base past
// max_position_embeddings. Both depend on the whole sequence, never on how the prompt is chunked
// or what else shares the decode batch. A small switch point (48) makes that reachable in tests.
const SWITCH = 48;

async function switchingModel(llm: 'phi3' | 'internlm2') {
  const work = mkdtempSync(join(tmpdir(), `internvl-rotary-${llm}-`));
  const checkpoint = makeTinyCheckpoint(join(work, 'ckpt'), { llm, seed: 21 });
  const file = join(checkpoint.dir, 'config.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { llm_config: Record<string, unknown> };
  if (llm === 'phi3') json.llm_config.original_max_position_embeddings = SWITCH;
  else json.llm_config.max_position_embeddings = SWITCH;
  writeFileSync(file, JSON.stringify(json, null, 2));
  const dir = join(work, 'model');
  await convertCheckpoint({ from: checkpoint.dir, to: dir, precision: 'fp32', maxContextTokens: 1024 });
  return { checkpointDir: checkpoint.dir, config: parseInternVLConfig(json), dir };
}

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: rotation past the switch point (${SWITCH} positions)`, () => {
    let model: Awaited<ReturnType<typeof switchingModel>>;
    let served: Served;
    before(async () => {
      model = await switchingModel(llm);
      served = await serve(model.dir, ['--prefill-chunk-tokens', '7', '--max-active-sequences', '4']);
    });
    after(() => served.stop());

    const reference = (ids: number[], maxNewTokens: number) =>
      referenceTokens(
        { config: model.config, dir: model.checkpointDir },
        served.runtime.model.manifest,
        ids,
        undefined,
        maxNewTokens,
      );
    const longQuestion = `Please read all of this: ${'one two three four five six seven eight nine ten '.repeat(8)}`;

    test('a prompt past the switch, prefilled in 7-token chunks, gives the reference greedy tokens', async () => {
      const got = await generate(
        served.client,
        conversationHeader([user(longQuestion)], [], { maxNewTokens: 10 }, { returnPrompt: true }),
      );
      assert.ok(got.prompt!.inputIds.length > SWITCH, `prompt of ${got.prompt!.inputIds.length} tokens`);
      assert.deepEqual(got.tokenIds, reference(got.prompt!.inputIds, 10));
    });

    test('a decode batch mixing a long sequence and a short one crossing the switch: each gets its reference tokens', async () => {
      const requests = [
        conversationHeader([user(longQuestion)], [], { maxNewTokens: 24 }, { returnPrompt: true }),
        conversationHeader([user('Short one.')], [], { maxNewTokens: 40 }, { returnPrompt: true }),
        conversationHeader(
          [user(`Middle ${'words and '.repeat(6)}`)],
          [],
          { maxNewTokens: 30 },
          { returnPrompt: true },
        ),
      ];
      const before = served.runtime.scheduler.stats.largestBatch;
      const got = await Promise.all(requests.map((h) => generate(served.client, h)));
      const lengths = got.map((g) => g.prompt!.inputIds.length);
      assert.ok(lengths[0]! > SWITCH && lengths[1]! < SWITCH, `prompt lengths ${lengths}`);
      got.forEach((g, i) => {
        const expected = reference(g.prompt!.inputIds, requests[i]!.params!.maxNewTokens);
        assert.deepEqual(g.tokenIds, expected, `request ${i} (prompt ${lengths[i]})`);
      });
      // The short one crossed the switch while decoding, unless it stopped first.
      assert.ok(lengths[1]! + got[1]!.tokenIds.length > SWITCH || got[1]!.tokenIds.length < 40);
      assert.ok(
        Math.max(before, served.runtime.scheduler.stats.largestBatch) >= 2,
        'they shared decode steps',
      );
    });
  });
}
