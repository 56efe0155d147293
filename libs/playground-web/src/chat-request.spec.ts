import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { buildChatRequest, parseSchemaText, readNumberField, schemaName } from './chat-request';
import { ID_CARD_SCHEMA } from './id-card';

test('the whole conversation is sent: images with their own max_num, answers (even partial), the new question', () => {
  const body = buildChatRequest(
    'tiny',
    [
      { role: 'user', text: 'What is it?', images: [{ dataUrl: 'data:image/png;base64,AA==', maxTiles: 6 }] },
      { role: 'assistant', text: 'A cat.' },
      { role: 'user', text: 'Tell me more.' },
      { role: 'assistant', text: 'It is gr' },
      { role: 'user', text: 'And?' },
      { role: 'assistant', text: '' },
    ],
    { temperature: 0.7, topP: 0.9, maxTokens: 64, seed: 3 },
  );
  assert.deepEqual(body, {
    model: 'tiny',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==', max_num: 6 } },
          { type: 'text', text: 'What is it?' },
        ],
      },
      { role: 'assistant', content: 'A cat.' },
      { role: 'user', content: 'Tell me more.' },
      { role: 'assistant', content: 'It is gr' },
      { role: 'user', content: 'And?' },
    ],
    stream: true,
    stream_options: { include_usage: true },
    temperature: 0.7,
    top_p: 0.9,
    max_tokens: 64,
    seed: 3,
  });
});

test('blank settings are left to the server; JSON mode sends json_schema or json_object', () => {
  const turns = [{ role: 'user' as const, text: 'hi' }];
  const plain = buildChatRequest('m', turns, {});
  assert.deepEqual(Object.keys(plain).sort(), ['messages', 'model', 'stream', 'stream_options']);
  assert.deepEqual(buildChatRequest('m', turns, { json: {} }).response_format, { type: 'json_object' });
  assert.deepEqual(buildChatRequest('m', turns, { json: { schema: ID_CARD_SCHEMA } }).response_format, {
    type: 'json_schema',
    json_schema: { name: 'id_card', schema: ID_CARD_SCHEMA, strict: true },
  });
  assert.equal(schemaName({ title: 'My card!' }), 'My_card_');
  assert.equal(schemaName({}), 'answer');
});

test('the schema editor and number fields say what is wrong', () => {
  assert.deepEqual(parseSchemaText('  '), { schema: undefined });
  assert.deepEqual(parseSchemaText('{"type":"object"}'), { schema: { type: 'object' } });
  assert.match((parseSchemaText('{') as { error: string }).error, /not valid JSON/);
  assert.match((parseSchemaText('[1]') as { error: string }).error, /must be a JSON object/);
  assert.deepEqual(readNumberField('Seed', '', { min: 0, max: 9 }), { value: undefined });
  assert.deepEqual(readNumberField('Seed', ' 4 ', { min: 0, max: 9, integer: true }), { value: 4 });
  assert.deepEqual(readNumberField('Seed', '4.5', { min: 0, max: 9, integer: true }), {
    error: 'Seed must be a whole number',
  });
  assert.deepEqual(readNumberField('Top-p', '2', { min: 0, max: 1 }), {
    error: 'Top-p must be between 0 and 1',
  });
  assert.deepEqual(readNumberField('Top-p', 'abc', { min: 0, max: 1 }), { error: 'Top-p must be a number' });
});
