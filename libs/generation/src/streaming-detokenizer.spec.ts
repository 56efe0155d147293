import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { buildPhi3TokenizerJson, loadTokenizer } from '@internvl/tokenizer';
import { createStreamingDetokenizer } from './streaming-detokenizer';

const tokenizer = loadTokenizer(buildPhi3TokenizerJson());
const END = tokenizer.idOf('<|end|>')!;

function stream(ids: number[]): string[] {
  const detok = createStreamingDetokenizer({
    decode: (window) => tokenizer.decode(window),
    specialIds: tokenizer.specialIds,
  });
  const deltas = ids.map((id) => detok.push(id));
  deltas.push(detok.flush());
  return deltas;
}

test('token-by-token deltas join to the full decode, with no U+FFFD and no lost spaces', () => {
  const texts = [
    'Hello world, 你好，世界 👋🏽 done',
    '  two leading spaces and  double  gaps',
    '👋🏽👋🏽 emoji first, then text',
    'line one\n  indented line two',
  ];
  for (const text of texts) {
    const ids = tokenizer.encode(text, { addBos: false });
    const deltas = stream(ids);
    assert.equal(deltas.join(''), tokenizer.decode(ids), text);
    assert.equal(deltas.join(''), text, 'this tokenizer round-trips these texts');
    for (const delta of deltas) assert.ok(!delta.includes('\uFFFD'), `${JSON.stringify(delta)} in ${text}`);
  }
});

test('a multi-token emoji is held back until its last byte, then emitted whole', () => {
  const ids = tokenizer.encode('Hi 👋🏽', { addBos: false });
  // ▁Hi ▁ <0xF0> <0x9F> <0x91> <0x8B> <0xF0> <0x9F> <0x8F> <0xBD>
  assert.equal(ids.length, 10);
  assert.deepEqual(stream(ids), ['Hi', ' ', '', '', '', '👋', '', '', '', '🏽', '']);
});

test('decoding token by token would lose the spaces the streaming detokenizer keeps', () => {
  const ids = tokenizer.encode('Hello world', { addBos: false });
  assert.equal(ids.map((id) => tokenizer.decode([id])).join(''), 'Helloworld');
  assert.deepEqual(stream(ids), ['Hello', ' world', '']);
});

test('special tokens (BOS, <|end|>) are not shown as text', () => {
  const ids = [...tokenizer.encode('Hello 世界', { addBos: true }), END];
  assert.equal(ids[0], 1);
  const deltas = stream(ids);
  assert.equal(deltas.join(''), tokenizer.decode(ids, { skipSpecial: true }));
  assert.equal(deltas.join(''), 'Hello 世界');
  assert.equal(deltas[0], '');
  assert.equal(deltas[ids.length - 1], '', '<|end|> adds no text');
});

test('flush releases an incomplete UTF-8 tail as the decoder shows it', () => {
  const ids = tokenizer.encode('ok 👋', { addBos: false });
  const truncated = ids.slice(0, -2); // drop the emoji's last two byte tokens
  const deltas = stream(truncated);
  assert.ok(deltas.slice(0, -1).every((d) => !d.includes('\uFFFD')));
  assert.equal(deltas.join(''), tokenizer.decode(truncated));
  assert.ok(deltas.at(-1)!.includes('\uFFFD'));
});
