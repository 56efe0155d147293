import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { ImageLayout } from '@internvl/contracts';
import {
  assistant,
  conversationHeader,
  generate,
  renderPrompt,
  seeded,
  serveTinyModel,
  user,
  type TinyLlm,
} from './testing/llm-fixtures';

// The prompts InternVL-1.5's chat() builds, written out from the template spec
// (docs: phi3-chat / internlm2-chat), compared with what the running tier renders and tokenizes.

const SYSTEM: Record<TinyLlm, string> = {
  phi3: '<|system|>\nYou are an AI assistant whose name is Phi-3.<|end|>',
  internlm2: '<|im_start|>system\nYou are an AI assistant whose name is InternLM (书生·浦语).<|im_end|>',
};
const USER: Record<TinyLlm, (q: string) => string> = {
  phi3: (q) => `<|user|>\n${q}<|end|>`,
  internlm2: (q) => `<|im_start|>user\n${q}<|im_end|>`,
};
const ASSISTANT: Record<TinyLlm, (a: string) => string> = {
  phi3: (a) => `<|assistant|>\n${a}<|end|>`,
  internlm2: (a) => `<|im_start|>assistant\n${a}<|im_end|>`,
};
const OPEN: Record<TinyLlm, string> = { phi3: '<|assistant|>\n', internlm2: '<|im_start|>assistant\n' };
const CONTEXT_ID: Record<TinyLlm, number> = { phi3: 32013, internlm2: 92546 };
const block = (tiles: number) => `<img>${'<IMG_CONTEXT>'.repeat(256 * tiles)}</img>`;

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: prompts rendered by the llm tier equal chat()'s`, () => {
    const { served } = serveTinyModel(llm);

    test('single image: the block goes before the question, ids start with BOS', async () => {
      const p = await renderPrompt(served.client, {
        conversation: { turns: [user('What is this?')], imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED },
        imageTiles: [7],
      });
      assert.equal(p.text, SYSTEM[llm] + USER[llm](`${block(7)}\nWhat is this?`) + OPEN[llm]);
      assert.equal(p.inputIds.filter((id) => id === CONTEXT_ID[llm]).length, 7 * 256);
      assert.equal(p.inputIds[0], 1, 'BOS first');
    });

    test('two images: one concatenated block (1.5 chat) or numbered blocks', async () => {
      const concatenated = await renderPrompt(served.client, {
        conversation: { turns: [user('Compare them.')], imageLayout: ImageLayout.IMAGE_LAYOUT_CONCATENATED },
        imageTiles: [2, 3],
      });
      assert.equal(concatenated.text, SYSTEM[llm] + USER[llm](`${block(5)}\nCompare them.`) + OPEN[llm]);
      const numbered = await renderPrompt(served.client, {
        conversation: { turns: [user('Compare them.')], imageLayout: ImageLayout.IMAGE_LAYOUT_NUMBERED },
        imageTiles: [2, 3],
      });
      assert.equal(
        numbered.text,
        SYSTEM[llm] + USER[llm](`Image-1: ${block(2)}\nImage-2: ${block(3)}\nCompare them.`) + OPEN[llm],
      );
    });

    test('multi-round: history turns in order, the image in the first question', async () => {
      const p = await renderPrompt(served.client, {
        conversation: {
          turns: [user('Describe it.'), assistant('A cat on a mat.'), user('What colour is the cat?')],
          imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
        },
        imageTiles: [1],
      });
      assert.equal(
        p.text,
        SYSTEM[llm] +
          USER[llm](`${block(1)}\nDescribe it.`) +
          ASSISTANT[llm]('A cat on a mat.') +
          USER[llm]('What colour is the cat?') +
          OPEN[llm],
      );
    });

    test('text-only, with a custom system message, through Generate(return_prompt)', async () => {
      const got = await generate(
        served.client,
        conversationHeader(
          [user('Hi')],
          [],
          { maxNewTokens: 1 },
          { returnPrompt: true, systemMessage: 'Be brief.' },
        ),
      );
      const sys = llm === 'phi3' ? '<|system|>\nBe brief.<|end|>' : '<|im_start|>system\nBe brief.<|im_end|>';
      assert.equal(got.prompt?.text, sys + USER[llm]('Hi') + OPEN[llm]);
      assert.equal(got.finish?.usage?.promptTokens, got.prompt?.inputIds.length);
    });

    test('an image given where the text places it: the placeholder is expanded in place', async () => {
      const rows = seeded(256 * served.runtime.model.hiddenSize, 1);
      const got = await generate(
        served.client,
        conversationHeader(
          [user('Look: <image> what is it?')],
          [{ tiles: 1, rows }],
          { maxNewTokens: 1 },
          { returnPrompt: true },
        ),
        [{ tiles: 1, rows }],
      );
      assert.equal(got.prompt?.text, SYSTEM[llm] + USER[llm](`Look: ${block(1)} what is it?`) + OPEN[llm]);
      assert.equal(got.finish?.usage?.imageTokens, 256);
    });
  });
}
