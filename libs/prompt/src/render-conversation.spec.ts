import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { TEMPLATES } from './chat-templates';
import { renderConversation } from './render-conversation';

// Expected strings are spelled out from spec §4, not derived from the code under test.
const phi3 = TEMPLATES['phi3-chat']!;
const internlm2 = TEMPLATES['internlm2-chat']!;
const PHI3_SYS = '<|system|>\nYou are an AI assistant whose name is Phi-3.<|end|>';
const LM2_SYS = '<|im_start|>system\nYou are an AI assistant whose name is InternLM (书生·浦语).<|im_end|>';
const block = (contexts: number): string => '<img>' + '<IMG_CONTEXT>'.repeat(contexts) + '</img>';
const contextCount = (s: string): number => s.split('<IMG_CONTEXT>').length - 1;

test('phi3: one image of 1 tile, placeholder prepended to the question', () => {
  const out = renderConversation(phi3, {
    turns: [{ role: 'user', text: 'What is this?' }],
    images: [{ numTiles: 1 }],
    imageLayout: 'concatenated',
  });
  assert.equal(out, PHI3_SYS + '<|user|>\n' + block(256) + '\nWhat is this?<|end|><|assistant|>\n');
  assert.equal(contextCount(out), 256);
});

test('internlm2: one image of 13 tiles gives exactly 3328 <IMG_CONTEXT>', () => {
  const out = renderConversation(internlm2, {
    turns: [{ role: 'user', text: 'Describe the image.' }],
    images: [{ numTiles: 13 }],
    imageLayout: 'numbered',
  });
  assert.equal(contextCount(out), 3328);
  assert.equal(
    out,
    LM2_SYS + '<|im_start|>user\n' + block(3328) + '\nDescribe the image.<|im_end|><|im_start|>assistant\n',
  );
  assert.ok(!out.endsWith('\n\n') && !out.endsWith('<|im_end|>'));
});

test('an explicit <image> is expanded in place, not prepended again', () => {
  const out = renderConversation(phi3, {
    turns: [{ role: 'user', text: 'Look: <image> what is it?' }],
    images: [{ numTiles: 2 }],
    imageLayout: 'concatenated',
  });
  assert.equal(out, PHI3_SYS + '<|user|>\nLook: ' + block(512) + ' what is it?<|end|><|assistant|>\n');
});

test('concatenated multi-image: all tiles in one unseparated block', () => {
  const out = renderConversation(internlm2, {
    turns: [{ role: 'user', text: 'Compare them.' }],
    images: [{ numTiles: 3 }, { numTiles: 5 }],
    imageLayout: 'concatenated',
  });
  assert.equal(
    out,
    LM2_SYS + '<|im_start|>user\n' + block(2048) + '\nCompare them.<|im_end|><|im_start|>assistant\n',
  );
  assert.equal(out.split('<img>').length - 1, 1);
});

test('numbered multi-image: the Image-n prefix is added and each image gets its own block', () => {
  const out = renderConversation(phi3, {
    turns: [{ role: 'user', text: 'Compare them.' }],
    images: [{ numTiles: 1 }, { numTiles: 2 }],
    imageLayout: 'numbered',
  });
  assert.equal(
    out,
    PHI3_SYS +
      '<|user|>\nImage-1: ' +
      block(256) +
      '\nImage-2: ' +
      block(512) +
      '\nCompare them.<|end|><|assistant|>\n',
  );
});

test('numbered: user-written placeholders are filled in order across turns', () => {
  const out = renderConversation(internlm2, {
    turns: [
      { role: 'user', text: 'Image-1: <image>\nWhat is it?' },
      { role: 'assistant', text: 'A cat.' },
      { role: 'user', text: 'And this one? <image>' },
    ],
    images: [{ numTiles: 1 }, { numTiles: 7 }],
    imageLayout: 'numbered',
  });
  assert.equal(
    out,
    LM2_SYS +
      '<|im_start|>user\nImage-1: ' +
      block(256) +
      '\nWhat is it?<|im_end|>' +
      '<|im_start|>assistant\nA cat.<|im_end|>' +
      '<|im_start|>user\nAnd this one? ' +
      block(1792) +
      '<|im_end|><|im_start|>assistant\n',
  );
});

test('multi-round history: the image stays in the first user turn', () => {
  const out = renderConversation(phi3, {
    turns: [
      { role: 'user', text: 'What is this?' },
      { role: 'assistant', text: 'A red panda.' },
      { role: 'user', text: 'Where does it live?' },
    ],
    images: [{ numTiles: 1 }],
    imageLayout: 'concatenated',
  });
  assert.equal(
    out,
    PHI3_SYS +
      '<|user|>\n' +
      block(256) +
      '\nWhat is this?<|end|><|assistant|>\nA red panda.<|end|><|user|>\nWhere does it live?<|end|><|assistant|>\n',
  );
});

test('text-only conversations have no image tokens', () => {
  const p = renderConversation(phi3, {
    turns: [{ role: 'user', text: 'Hi' }],
    images: [],
    imageLayout: 'concatenated',
  });
  assert.equal(
    p,
    '<|system|>\nYou are an AI assistant whose name is Phi-3.<|end|><|user|>\nHi<|end|><|assistant|>\n',
  );
  const l = renderConversation(internlm2, {
    turns: [{ role: 'user', text: 'Hi' }],
    images: [],
    imageLayout: 'numbered',
  });
  assert.equal(l, LM2_SYS + '<|im_start|>user\nHi<|im_end|>' + '<|im_start|>assistant\n');
});

test('a custom system message replaces the default one', () => {
  const out = renderConversation(internlm2, {
    systemMessage: 'Be brief.',
    turns: [{ role: 'user', text: 'Hi' }],
    images: [],
    imageLayout: 'concatenated',
  });
  assert.equal(
    out,
    '<|im_start|>system\nBe brief.<|im_end|><|im_start|>user\nHi<|im_end|><|im_start|>assistant\n',
  );
});

test('a system message is inserted literally, even with $ patterns', () => {
  const out = renderConversation(phi3, {
    systemMessage: 'Costs $& and $1.',
    turns: [{ role: 'user', text: 'Hi' }],
    images: [],
    imageLayout: 'numbered',
  });
  assert.equal(out, '<|system|>\nCosts $& and $1.<|end|><|user|>\nHi<|end|><|assistant|>\n');
});

test('a zero numImageTokens is refused; a smaller one is honoured', () => {
  const conv = {
    turns: [{ role: 'user' as const, text: 'x' }],
    images: [{ numTiles: 2 }],
    imageLayout: 'numbered' as const,
  };
  assert.equal(
    renderConversation(phi3, conv, 4),
    PHI3_SYS + '<|user|>\n' + block(8) + '\nx<|end|><|assistant|>\n',
  );
  assert.throws(() => renderConversation(phi3, conv, 0), InvalidArgumentError);
});

test('errors: bad turn order, placeholder/image count mismatches, raw image tokens, bad tiles', () => {
  const user = (text: string) => ({ role: 'user' as const, text });
  const render = (conv: Parameters<typeof renderConversation>[1]) => () => renderConversation(phi3, conv);
  assert.throws(render({ turns: [], images: [], imageLayout: 'numbered' }), InvalidArgumentError);
  assert.throws(
    render({ turns: [user('q'), { role: 'assistant', text: 'a' }], images: [], imageLayout: 'numbered' }),
    /last turn must be a user turn/,
  );
  assert.throws(
    render({ turns: [user('<image> hi')], images: [], imageLayout: 'numbered' }),
    (e: unknown) =>
      e instanceof InvalidArgumentError &&
      /found 1 <image> placeholder\(s\) but 0 image\(s\)/.test(e.message),
  );
  assert.throws(
    render({ turns: [user('<image><image>')], images: [{ numTiles: 1 }], imageLayout: 'numbered' }),
    /found 2 <image> placeholder\(s\) but 1 image\(s\)/,
  );
  assert.throws(
    render({
      turns: [user('Image-1: <image>\nq')],
      images: [{ numTiles: 1 }, { numTiles: 1 }],
      imageLayout: 'numbered',
    }),
    /found 1 <image> placeholder\(s\) but 2 image\(s\)/,
  );
  assert.throws(
    render({
      turns: [user('<image><image>')],
      images: [{ numTiles: 1 }, { numTiles: 1 }],
      imageLayout: 'concatenated',
    }),
    /found 2 <image> placeholder\(s\) but 2 image\(s\); the concatenated layout needs exactly 1/,
  );
  assert.throws(
    render({ turns: [user('<IMG_CONTEXT>')], images: [], imageLayout: 'numbered' }),
    /reserved image token <IMG_CONTEXT>/,
  );
  assert.throws(
    render({ turns: [user('q')], images: [{ numTiles: 0 }], imageLayout: 'numbered' }),
    /numTiles/,
  );
  assert.throws(
    render({ turns: [user('q')], images: [{ numTiles: 1.5 }], imageLayout: 'concatenated' }),
    /numTiles/,
  );
});
