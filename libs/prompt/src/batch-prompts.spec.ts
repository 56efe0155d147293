import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { TEMPLATES } from './chat-templates';
import { batchPrompts } from './batch-prompts';

const block = (contexts: number): string => '<img>' + '<IMG_CONTEXT>'.repeat(contexts) + '</img>';

test('batchPrompts renders independent single-turn prompts, one image block per question with tiles', () => {
  const out = batchPrompts(TEMPLATES['phi3-chat']!, [
    { text: 'First?', numTiles: 1 },
    { text: 'Second <image> here', numTiles: 3 },
    { text: 'No image', numTiles: 0 },
  ]);
  const sys = '<|system|>\nYou are an AI assistant whose name is Phi-3.<|end|>';
  assert.deepEqual(out, [
    sys + '<|user|>\n' + block(256) + '\nFirst?<|end|><|assistant|>\n',
    sys + '<|user|>\nSecond ' + block(768) + ' here<|end|><|assistant|>\n',
    sys + '<|user|>\nNo image<|end|><|assistant|>\n',
  ]);
});

test('batchPrompts passes the system message and token count through, and refuses a bad question', () => {
  const [p] = batchPrompts(TEMPLATES['internlm2-chat']!, [{ text: 'Q', numTiles: 2 }], {
    systemMessage: 'S',
    numImageTokens: 1,
  });
  assert.equal(
    p,
    '<|im_start|>system\nS<|im_end|><|im_start|>user\n' + block(2) + '\nQ<|im_end|><|im_start|>assistant\n',
  );
  assert.throws(
    () => batchPrompts(TEMPLATES['internlm2-chat']!, [{ text: '<image>', numTiles: 0 }]),
    /found 1 <image> placeholder\(s\) but 0 image\(s\)/,
  );
});
