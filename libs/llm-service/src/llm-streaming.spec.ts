import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { buildInternLM2TokenizerJson, buildPhi3TokenizerJson, loadTokenizer } from '@internvl/tokenizer';
import { scriptedModel } from './testing/scripted-model';
import { conversationHeader, FinishReason, generate, serveTinyModel, user } from './testing/llm-fixtures';

// The model's weights are random, so what it "says" is scripted: the real decoder runs each step,
// and its logits are replaced by one-hot rows of a chosen token sequence (testing/scripted-model.ts).

const TEXT = '你好，世界！🙂🎉 日本語のテキスト 👩‍👩‍👧 and “quotes” — ünïcödé 書生·浦語 😀';
const SETUP = {
  phi3: { tokenizer: () => loadTokenizer(buildPhi3TokenizerJson()), end: 32007, special: 32001 },
  internlm2: { tokenizer: () => loadTokenizer(buildInternLM2TokenizerJson()), end: 92542, special: 92544 },
};

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: streamed text`, () => {
    const tokenizer = SETUP[llm].tokenizer();
    const text = tokenizer.encode(TEXT, { addBos: false });
    // A special token in the middle must never show up as text.
    const script = [...text.slice(0, 9), SETUP[llm].special, ...text.slice(9)];
    const { served } = serveTinyModel(llm, {
      hooks: { wrapModel: (real) => scriptedModel(real, script, SETUP[llm].end) },
    });

    test('deltas joined equal the full decode: Chinese and emoji intact, never a broken character', async () => {
      const got = await generate(
        served.client,
        conversationHeader([user('Say it.')], [], { maxNewTokens: 200 }),
      );
      assert.deepEqual(got.tokenIds, [...script, SETUP[llm].end]);
      assert.equal(got.text, tokenizer.decode(script, { skipSpecial: true }));
      assert.equal(got.text, TEXT);
      for (const delta of got.deltas) assert.ok(!delta.text.includes('\uFFFD'), JSON.stringify(delta));
      // Byte-fallback tokens of an emoji produce empty deltas until the character is complete.
      assert.ok(got.deltas.some((d) => d.text === '' && d.tokenIds.length === 1));
      assert.equal(got.finish?.reason, FinishReason.FINISH_REASON_STOP);
      assert.equal(got.finish?.usage?.completionTokens, script.length + 1);
    });

    test('a stop string ends generation; neither it nor anything after it is returned', async () => {
      const got = await generate(
        served.client,
        conversationHeader([user('Say it.')], [], { maxNewTokens: 200, stop: ['界！', 'never'] }),
      );
      assert.equal(got.text, '你好，世');
      assert.equal(got.finish?.reason, FinishReason.FINISH_REASON_STOP);
      assert.ok(got.tokenIds.length < script.length);
    });

    test('max_new_tokens ends with reason length and text up to that token', async () => {
      const got = await generate(
        served.client,
        conversationHeader([user('Say it.')], [], { maxNewTokens: 3 }),
      );
      assert.deepEqual(got.tokenIds, script.slice(0, 3));
      assert.equal(got.text, tokenizer.decode(script.slice(0, 3)));
      assert.equal(got.finish?.reason, FinishReason.FINISH_REASON_LENGTH);
    });

    test('a request stop_token_id ends generation like the template eos', async () => {
      const got = await generate(
        served.client,
        conversationHeader([user('Say it.')], [], { maxNewTokens: 200, stopTokenIds: [script[4]!] }),
      );
      assert.deepEqual(got.tokenIds, script.slice(0, 5));
      assert.equal(got.finish?.reason, FinishReason.FINISH_REASON_STOP);
    });
  });
}
