import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeTinyCheckpoint } from '@internvl/checkpoint';
import { convertCheckpoint } from '@internvl/converter';
import {
  conversationHeader,
  generate,
  randomImage,
  referenceTokens,
  serve,
  user,
} from './testing/llm-fixtures';

// A float16 KV cache (`internvl convert --kv-dtype float16`) holds half the bytes; attention
// products run in float16. On the test models its greedy tokens must still be the reference's.
for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: float16 KV cache`, () => {
    test('greedy tokens with an image equal the reference forward; the cache holds 2 bytes a value', async () => {
      const work = mkdtempSync(join(tmpdir(), `internvl-kv16-${llm}-`));
      const checkpoint = makeTinyCheckpoint(join(work, 'ckpt'), { llm, seed: 13 });
      const dir = join(work, 'model');
      const manifest = await convertCheckpoint({
        from: checkpoint.dir,
        to: dir,
        precision: 'fp32',
        kvDtype: 'float16',
      });
      assert.equal(manifest.kvDtype, 'float16');
      const served = await serve(dir);
      try {
        const m = served.runtime.model.manifest;
        const l = m.config.llm;
        assert.equal(
          served.runtime.model.engine.kvBytesPerPosition,
          l.numLayers * 2 * l.numKvHeads * l.headDim * 2,
        );
        const image = randomImage(served, 9);
        const got = await generate(
          served.client,
          conversationHeader(
            [user('<image>\nWhat is it?')],
            [image],
            { maxNewTokens: 12 },
            { returnPrompt: true },
          ),
          [image],
        );
        const expected = referenceTokens(checkpoint, m, got.prompt!.inputIds, image.rows, 12);
        assert.deepEqual(got.tokenIds, expected);
      } finally {
        await served.stop();
      }
    });
  });
}
