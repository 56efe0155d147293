import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MANIFEST_FORMAT, parseManifest } from './model-manifest';
import { TEMPLATES } from './templates';

test('parseManifest refuses a wrong format or a missing key, naming the directory', () => {
  assert.throws(() => parseManifest(null, '/m'), /\/m: manifest is not a JSON object/);
  assert.throws(
    () => parseManifest({ format: 'old/0' }, '/m'),
    /format 'old\/0' is not 'internvl-onnx\/2'.*internvl convert/,
  );
  assert.throws(
    () => parseManifest({ format: 'internvl-onnx/1' }, '/m'),
    /format 'internvl-onnx\/1' is not 'internvl-onnx\/2'.*re-run 'internvl convert'/,
  );
  assert.throws(() => parseManifest({ format: MANIFEST_FORMAT, name: 'x' }, '/m'), /missing 'precision'/);
});

test('the 1.5-era templates use the spec separators, roles and system messages', () => {
  const phi3 = TEMPLATES['phi3-chat']!;
  assert.equal(phi3.sep, '<|end|>');
  assert.equal(phi3.systemMessage, 'You are an AI assistant whose name is Phi-3.');
  assert.deepEqual(phi3.roles, { user: '<|user|>\n', assistant: '<|assistant|>\n' });
  const internlm2 = TEMPLATES['internlm2-chat']!;
  assert.equal(internlm2.sep, '<|im_end|>');
  assert.equal(internlm2.systemMessage, 'You are an AI assistant whose name is InternLM (书生·浦语).');
});
