import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildInternLM2TokenizerFiles } from './internlm2-tokenizer';
import { buildPhi3TokenizerFiles } from './phi3-tokenizer';

describe('tokenizer side files', () => {
  it('Phi-3: added_tokens.json lists 32000..32019; config names bos/eos/pad; flags match tokenizer.json', () => {
    const files = buildPhi3TokenizerFiles();
    assert.deepEqual(Object.keys(files).sort(), [
      'added_tokens.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const added = JSON.parse(files['added_tokens.json']) as Record<string, number>;
    assert.deepEqual(
      Object.values(added).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => 32000 + i),
    );
    assert.equal(added['<IMG_CONTEXT>'], 32013);
    const config = JSON.parse(files['tokenizer_config.json']) as Record<string, unknown>;
    assert.equal(config.bos_token, '<s>');
    assert.equal(config.eos_token, '<|endoftext|>');
    assert.equal(config.tokenizer_class, 'LlamaTokenizer');
    const decoder = config.added_tokens_decoder as Record<
      string,
      { content: string; rstrip: boolean; special: boolean }
    >;
    assert.deepEqual(
      [decoder['32010'].content, decoder['32010'].rstrip, decoder['32010'].special],
      ['<|user|>', true, true],
    );
    assert.deepEqual([decoder['32013'].content, decoder['32013'].rstrip], ['<IMG_CONTEXT>', false]);
    const map = JSON.parse(files['special_tokens_map.json']) as Record<string, { content: string }>;
    assert.equal(map.pad_token.content, '<|endoftext|>');
  });

  it('InternLM2: added_tokens.json holds only InternVL tokens 92544..92552', () => {
    const files = buildInternLM2TokenizerFiles();
    const added = JSON.parse(files['added_tokens.json']) as Record<string, number>;
    assert.deepEqual(
      Object.values(added).sort((a, b) => a - b),
      Array.from({ length: 9 }, (_, i) => 92544 + i),
    );
    const config = JSON.parse(files['tokenizer_config.json']) as Record<string, unknown>;
    assert.equal(config.eos_token, '</s>');
    assert.equal(config.tokenizer_class, 'InternLM2Tokenizer');
  });
});
