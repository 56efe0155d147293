import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { TEMPLATES } from './chat-templates';

test('the 1.5-era templates use the spec separators, roles and system messages', () => {
  const phi3 = TEMPLATES['phi3-chat']!;
  assert.equal(phi3.sep, '<|end|>');
  assert.equal(phi3.systemMessage, 'You are an AI assistant whose name is Phi-3.');
  assert.deepEqual(phi3.roles, { user: '<|user|>\n', assistant: '<|assistant|>\n' });
  const internlm2 = TEMPLATES['internlm2-chat']!;
  assert.equal(internlm2.sep, '<|im_end|>');
  assert.equal(internlm2.systemMessage, 'You are an AI assistant whose name is InternLM (书生·浦语).');
});
