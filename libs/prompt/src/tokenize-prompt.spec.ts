import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { TEMPLATES } from './chat-templates';
import { buildInternLM2TokenizerJson, buildPhi3TokenizerJson, loadTokenizer } from '@internvl/tokenizer';
import { renderConversation } from './render-conversation';
import { countImageTokens, tokenizePrompt } from './tokenize-prompt';

test('phi3: a rendered 2-tile prompt tokenizes to the spec ids (BOS, role tokens, image block)', () => {
  const tokenizer = loadTokenizer(buildPhi3TokenizerJson());
  const prompt = renderConversation(TEMPLATES['phi3-chat']!, {
    turns: [{ role: 'user', text: 'What is this?' }],
    images: [{ numTiles: 2 }],
    imageLayout: 'concatenated',
  });
  const ids = tokenizePrompt(tokenizer, prompt);
  assert.deepEqual(ids.slice(0, 2), [1, 32006]); // BOS, <|system|>
  const end = ids.indexOf(32007); // <|end|> closes the system text
  assert.ok(end > 2);
  // <|user|> (rstrip swallows its "\n"), then <img> directly.
  assert.deepEqual(ids.slice(end + 1, end + 3), [32010, 32011]);
  const contexts = ids.slice(end + 3, end + 3 + 512);
  assert.ok(contexts.every((id) => id === 32013));
  assert.equal(ids[end + 3 + 512], 32012); // </img>
  // "\nWhat is this?" after a special token: prefix space "▁" (29871) + <0x0A> (13) under the legacy Llama
  // normalizer, then the question, <|end|>, and <|assistant|> whose trailing "\n" rstrip swallows.
  assert.deepEqual(ids.slice(end + 4 + 512), [29871, 13, 5618, 338, 445, 29973, 32007, 32001]);
  assert.equal(countImageTokens(ids, 32013), 512);
  assert.equal(countImageTokens(ids, tokenizer.idOf('<IMG_CONTEXT>')!), 512);
});

test('internlm2: the image context count of a 13-tile prompt is 256·13', () => {
  const tokenizer = loadTokenizer(buildInternLM2TokenizerJson());
  const prompt = renderConversation(TEMPLATES['internlm2-chat']!, {
    turns: [{ role: 'user', text: 'Describe.' }],
    images: [{ numTiles: 13 }],
    imageLayout: 'numbered',
  });
  const ids = tokenizePrompt(tokenizer, prompt);
  assert.equal(ids[0], 1);
  assert.equal(tokenizer.idOf('<IMG_CONTEXT>'), 92546);
  assert.equal(countImageTokens(ids, 92546), 3328);
  assert.equal(countImageTokens(ids, 92544), 1); // <img>
  assert.equal(countImageTokens(ids, 92545), 1); // </img>
});

test('countImageTokens counts only the given id', () => {
  assert.equal(countImageTokens([], 7), 0);
  assert.equal(countImageTokens([7, 1, 7, 7, 2], 7), 3);
});
