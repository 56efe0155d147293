import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildInternLM2TokenizerJson } from './internlm2-tokenizer';
import { loadTokenizer } from './load-tokenizer';
import { buildPhi3TokenizerJson } from './phi3-tokenizer';
import { tokenPiece } from './token-pieces';

const bytesOf = (piece: { bytes: Uint8Array }) => [...piece.bytes];

describe('token pieces (logprobs token/bytes)', () => {
  const tok = loadTokenizer(buildPhi3TokenizerJson());

  it('a word piece keeps its leading space (▁), even the dummy prefix of the first word', () => {
    const [hello, world] = tok.encode('Hello world', { addBos: false });
    assert.deepEqual(tokenPiece(tok, hello!), { text: ' Hello', bytes: new TextEncoder().encode(' Hello') });
    assert.equal(tokenPiece(tok, world!).text, ' world');
    assert.deepEqual(bytesOf(tokenPiece(tok, world!)), [...Buffer.from(' world')]);
  });

  it('byte-fallback tokens are their single byte; concatenated bytes rebuild the text', () => {
    const text = '你好 👋';
    const ids = tok.encode(text, { addBos: false });
    assert.deepEqual(tokenPiece(tok, 243), { text: '\\xf0', bytes: Uint8Array.of(0xf0) });
    assert.deepEqual(tokenPiece(tok, tok.idOf('<0x0A>')!), { text: '\n', bytes: Uint8Array.of(10) });
    const all = Buffer.concat(ids.map((id) => tokenPiece(tok, id).bytes));
    // The tokenizer's decoder strips the one leading space SentencePiece adds; the pieces keep it.
    assert.equal(all.toString('utf8').replace(/^ /, ''), text);
  });

  it('special tokens are their literal text; ids past the tokenizer are an empty piece', () => {
    assert.equal(tokenPiece(tok, tok.idOf('<|end|>')!).text, '<|end|>');
    assert.deepEqual(tokenPiece(tok, tok.vocabSize + 5), { text: '', bytes: new Uint8Array(0) });
    assert.equal(tokenPiece(tok, 15043), tokenPiece(tok, 15043), 'cached');
  });

  it('works on the InternLM2 vocabulary too', () => {
    const internlm2 = loadTokenizer(buildInternLM2TokenizerJson());
    const ids = internlm2.encode('Hi there', { addBos: false });
    const joined = ids.map((id) => tokenPiece(internlm2, id).text).join('');
    assert.equal(joined.replace(/^ /, ''), 'Hi there');
  });
});
