import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { buildInternLM2TokenizerJson } from './internlm2-tokenizer';
import { loadTokenizer } from './load-tokenizer';
import { buildPhi3TokenizerJson } from './phi3-tokenizer';

// Expected ids were checked against HF's Rust `tokenizers` loading the same tokenizer.json.
describe('Phi-3 tokenizer (Mini-InternVL-Chat-4B-V1-5 layout)', () => {
  const tok = loadTokenizer(buildPhi3TokenizerJson());

  it('encodes "Hello world" to Llama-2 ids, BOS first when asked', () => {
    assert.deepEqual(tok.encode('Hello world', { addBos: false }), [15043, 3186]);
    assert.deepEqual(tok.encode('Hello world', { addBos: true }), [1, 15043, 3186]);
    assert.deepEqual(tok.encode('Hello world'), [1, 15043, 3186], 'addBos defaults to true like HF');
  });

  it('maps role tokens to single ids and swallows the "\\n" after them (rstrip)', () => {
    const ids = tok.encode('<|user|>\nWhat is in the image?<|end|><|assistant|>\n', { addBos: false });
    assert.deepEqual(ids, [32010, 1724, 338, 297, 278, 1967, 29973, 32007, 32001]);
  });

  it('maps InternVL image tokens to 32011..32013', () => {
    assert.deepEqual(
      tok.encode('<img><IMG_CONTEXT><IMG_CONTEXT></img>', { addBos: false }),
      [32011, 32013, 32013, 32012],
    );
    assert.equal(tok.idOf('<IMG_CONTEXT>'), 32013);
    assert.equal(tok.idOf('</box>'), 32019);
    assert.equal(tok.idOf('<|end|>'), 32007);
    assert.equal(tok.idOf('<|endoftext|>'), 32000);
    assert.equal(tok.idOf('no-such-token'), undefined);
  });

  it('round-trips Chinese and emoji through byte fallback', () => {
    const text = '你好，世界 👋🏽';
    const ids = tok.encode(text, { addBos: false });
    assert.ok(ids.includes(243), 'the emoji falls back to byte pieces (<0xF0> = 243)');
    assert.equal(tok.decode(ids), text);
    assert.equal(tok.decode([1, ...ids], { skipSpecial: true }), text);
  });

  it('decodes with and without special tokens, and [] to ""', () => {
    const ids = tok.encode('<|user|>\nHi<|end|>');
    assert.equal(tok.decode(ids, { skipSpecial: true }), 'Hi');
    assert.equal(tok.decode(ids), '<s><|user|> Hi<|end|>');
    assert.equal(tok.decode([]), '');
    assert.ok(tok.specialIds.has(32013) && tok.specialIds.has(32007) && !tok.specialIds.has(2));
  });

  it('has the 32020-token vocabulary of the 4B config', () => {
    assert.equal(tok.vocabSize, 32020);
    assert.equal(tok.tokenOf(29871), '▁');
    assert.equal(tok.tokenOf(32020), undefined);
  });

  it('rejects ids outside the vocabulary and non-JSON input with typed errors', () => {
    assert.throws(
      () => tok.decode([32020]),
      (e) => e instanceof InvalidArgumentError && /outside the vocabulary \[0, 32020\)/.test(e.message),
    );
    assert.throws(() => tok.decode([1.5]), InvalidArgumentError);
    assert.throws(() => loadTokenizer('{not json'), /not valid JSON/);
    assert.throws(() => loadTokenizer('{"added_tokens": []}'), /no 'model'/);
  });
});

describe('InternLM2 stand-in tokenizer', () => {
  const tok = loadTokenizer(buildInternLM2TokenizerJson());

  it('keeps InternLM2 and InternVL special tokens at their real ids', () => {
    assert.equal(tok.vocabSize, 92553);
    const expected: [string, number][] = [
      ['<|plugin|>', 92538],
      ['<|interpreter|>', 92539],
      ['<|action_end|>', 92540],
      ['<|action_start|>', 92541],
      ['<|im_end|>', 92542],
      ['<|im_start|>', 92543],
      ['<img>', 92544],
      ['</img>', 92545],
      ['<IMG_CONTEXT>', 92546],
      ['</box>', 92552],
      ['</s>', 2],
    ];
    for (const [token, id] of expected) assert.equal(tok.idOf(token), id, token);
  });

  it('encodes a chat turn with single-id specials and decodes it back', () => {
    const ids = tok.encode('<|im_start|>user\nHi<|im_end|><img><IMG_CONTEXT></img>');
    assert.deepEqual(ids, [1, 92543, 1404, 13, 18567, 92542, 92544, 92546, 92545]);
    assert.equal(tok.decode(ids, { skipSpecial: true }), 'user\nHi');
  });
});
