import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { llama2Vocab } from './llama-vocab';
import { loadTokenizer } from './load-tokenizer';
import { buildPhi3TokenizerFiles, buildPhi3TokenizerJson } from './phi3-tokenizer';
import { tokenizerJsonFromSentencePiece } from './sentencepiece-convert';
import { extractMerges } from './sentencepiece-merges';
import {
  encodeSentencePieceModel,
  parseSentencePieceModel,
  PieceType,
  SentencePieceModelType,
  type SentencePiece,
} from './sentencepiece-model';

/** <unk>, <s>, </s>, then all 256 byte pieces: the head of every byte-fallback SentencePiece model. */
function headPieces(): SentencePiece[] {
  const pieces: SentencePiece[] = [
    { piece: '<unk>', score: 0, type: PieceType.UNKNOWN },
    { piece: '<s>', score: 0, type: PieceType.CONTROL },
    { piece: '</s>', score: 0, type: PieceType.CONTROL },
  ];
  for (let b = 0; b < 256; b++) {
    pieces.push({
      piece: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
      score: 0,
      type: PieceType.BYTE,
    });
  }
  return pieces;
}

function smallModel(): Uint8Array {
  const normal = [
    '▁h',
    'll',
    '▁he',
    'llo',
    '▁hello',
    'or',
    '▁w',
    '▁wor',
    'ld',
    '▁world',
    '▁',
    'h',
    'e',
    'l',
    'o',
    'w',
    'r',
    'd',
  ];
  const pieces = [...headPieces(), { piece: '<sep>', score: 0, type: PieceType.USER_DEFINED }];
  normal.forEach((piece, i) => pieces.push({ piece, score: -(i + 1), type: PieceType.NORMAL }));
  return encodeSentencePieceModel({ pieces, byteFallback: true });
}

describe('parseSentencePieceModel', () => {
  it('reads pieces, scores, types and trainer/normalizer settings back', () => {
    const model = parseSentencePieceModel(smallModel());
    assert.equal(model.pieces.length, 3 + 256 + 1 + 18);
    assert.deepEqual(model.pieces[259], { piece: '<sep>', score: 0, type: PieceType.USER_DEFINED });
    assert.deepEqual(model.pieces[264], { piece: '▁hello', score: -5, type: PieceType.NORMAL });
    assert.equal(model.modelType, SentencePieceModelType.BPE);
    assert.equal(model.byteFallback, true);
    assert.equal(model.addDummyPrefix, true, 'proto default');
    assert.equal(model.normalizerName, 'identity');
  });

  it('rejects bytes that are not a ModelProto', () => {
    assert.throws(
      () => parseSentencePieceModel(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
      InvalidArgumentError,
    );
    assert.throws(() => parseSentencePieceModel(new Uint8Array(0)), /no pieces/);
  });
});

describe('extractMerges', () => {
  it('orders merges by the merged piece score, then by (left id, right id)', () => {
    const merges = extractMerges([
      { piece: 'a', score: 0 },
      { piece: 'b', score: 0 },
      { piece: 'ab', score: -2 },
      { piece: 'ba', score: -1 },
      { piece: 'aba', score: -3 },
    ]);
    assert.deepEqual(merges, [
      ['b', 'a'],
      ['a', 'b'],
      ['a', 'ba'],
      ['ab', 'a'],
    ]);
  });

  it('splits by code point, never inside a surrogate pair', () => {
    assert.deepEqual(
      extractMerges([
        { piece: '👋', score: 0 },
        { piece: 'x', score: 0 },
        { piece: '👋x', score: -1 },
      ]),
      [['👋', 'x']],
    );
  });
});

describe('tokenizerJsonFromSentencePiece', () => {
  it('converts a hand-built BPE model that then tokenizes like SentencePiece', () => {
    const tok = loadTokenizer(tokenizerJsonFromSentencePiece(smallModel()));
    const pieces = (text: string) => tok.encode(text, { addBos: false }).map((id) => tok.tokenOf(id));
    assert.deepEqual(pieces('hello world'), ['▁hello', '▁world']);
    assert.deepEqual(pieces('hold'), ['▁h', 'o', 'ld']);
    assert.deepEqual(pieces('yo'), ['▁', '<0x79>', 'o'], 'unknown "y" falls back to its byte');
    assert.deepEqual(
      pieces('hello<sep>world'),
      ['▁hello', '<sep>', '▁world'],
      'user-defined piece matched whole',
    );
    assert.deepEqual(tok.encode('hello'), [1, 264], 'BOS from the default add_bos_token');
    assert.equal(tok.decode(tok.encode('hello yo world')), '<s> hello yo world');
    assert.equal(tok.decode(tok.encode('hello yo world'), { skipSpecial: true }), 'hello yo world');
  });

  it('adds tokens from added_tokens.json and tokenizer_config.json with their flags', () => {
    const json = tokenizerJsonFromSentencePiece(smallModel(), {
      addedTokens: { '<img>': 278, '<IMG_CONTEXT>': 279 },
      tokenizerConfig: {
        add_eos_token: true,
        eos_token: '</s>',
        added_tokens_decoder: { '280': { content: '<|user|>', rstrip: true, special: true } },
      },
    });
    const tok = loadTokenizer(json);
    assert.equal(tok.vocabSize, 281);
    assert.deepEqual(tok.encode('<|user|>\n<img><IMG_CONTEXT>hello'), [1, 280, 278, 279, 264, 2]);
    const added = JSON.parse(json).added_tokens as { id: number; rstrip: boolean; special: boolean }[];
    assert.deepEqual(
      added.find((t) => t.id === 280),
      {
        id: 280,
        content: '<|user|>',
        single_word: false,
        lstrip: false,
        rstrip: true,
        normalized: false,
        special: true,
      },
    );
  });

  it('renames pieces the way InternLM2’s added_tokens_decoder does', () => {
    // InternLM2's tokenizer.model holds placeholder pieces where <|im_start|> etc. live.
    const pieces = [...headPieces(), { piece: '[UNUSED_TOKEN_145]', score: 0, type: PieceType.USER_DEFINED }];
    ['▁h', 'i', 'h', '▁'].forEach((piece, i) =>
      pieces.push({ piece, score: -(i + 1), type: PieceType.NORMAL }),
    );
    const json = tokenizerJsonFromSentencePiece(encodeSentencePieceModel({ pieces, byteFallback: true }), {
      tokenizerConfig: { added_tokens_decoder: { '259': { content: '<|im_end|>', special: true } } },
    });
    const tok = loadTokenizer(json);
    assert.equal(tok.idOf('<|im_end|>'), 259);
    assert.equal(tok.idOf('[UNUSED_TOKEN_145]'), undefined);
    assert.deepEqual(tok.encode('hi<|im_end|>', { addBos: false }), [260, 261, 259]);
    assert.equal(tok.decode([260, 261, 259], { skipSpecial: true }), 'hi');
  });

  it('names both tokens when the side files disagree about an id', () => {
    assert.throws(
      () =>
        tokenizerJsonFromSentencePiece(smallModel(), {
          addedTokens: { '<img>': 278 },
          tokenizerConfig: { added_tokens_decoder: { '278': { content: '<box>', special: true } } },
        }),
      (e) => e instanceof InvalidArgumentError && /'<img>'.*'<box>'/.test(e.message),
    );
  });

  it('refuses a Unigram model', () => {
    const bytes = encodeSentencePieceModel({
      pieces: headPieces(),
      modelType: SentencePieceModelType.UNIGRAM,
    });
    assert.throws(() => tokenizerJsonFromSentencePiece(bytes), /Unigram SentencePiece model; only BPE/);
  });

  it('Llama-2 vocab → tokenizer.model → tokenizer.json tokenizes like buildPhi3TokenizerJson', () => {
    // Llama-2's tokenizer.model scores: 0 for specials and bytes, -(id - 259) for BPE pieces,
    // and -1e9 for the pure-whitespace pieces (which is why their merges come last).
    const pieces: SentencePiece[] = llama2Vocab().pieces.map((piece, id) => ({
      piece,
      score: id < 259 ? 0 : /^▁{2,}$/.test(piece) ? -1e9 : -(id - 259),
      type:
        id === 0
          ? PieceType.UNKNOWN
          : id < 3
            ? PieceType.CONTROL
            : id < 259
              ? PieceType.BYTE
              : PieceType.NORMAL,
    }));
    const files = buildPhi3TokenizerFiles();
    const converted = tokenizerJsonFromSentencePiece(
      encodeSentencePieceModel({ pieces, byteFallback: true }),
      {
        addedTokens: JSON.parse(files['added_tokens.json']) as Record<string, number>,
        tokenizerConfig: JSON.parse(files['tokenizer_config.json']) as unknown,
      },
    );
    const a = loadTokenizer(converted);
    const b = loadTokenizer(buildPhi3TokenizerJson());
    const samples = [
      'Hello world',
      'The quick brown fox jumps over the lazy dog. 1234567890!',
      '<|system|>\nYou are an AI assistant whose name is Phi-3.<|end|><|user|>\n<img><IMG_CONTEXT></img>\nWhat is this?<|end|><|assistant|>\n',
      '你好，世界 👋🏽 naïve café',
      'def f(x):\n    return x ** 2  # comment',
    ];
    for (const s of samples) assert.deepEqual(a.encode(s), b.encode(s), s);
    assert.equal(a.vocabSize, b.vocabSize);
  });
});
