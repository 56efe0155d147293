import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { LlmConfig } from './model-config';
import { MANIFEST_FORMAT, parseManifest } from './model-manifest';
import { rotaryRegime, writeRotaryRows } from './rotary';

test('parseManifest refuses a wrong format or a missing key, naming the directory', () => {
  assert.throws(() => parseManifest(null, '/m'), /\/m: manifest is not a JSON object/);
  assert.throws(
    () => parseManifest({ format: 'old/0' }, '/m'),
    /format 'old\/0' is not 'internvl-onnx\/3'.*internvl convert/,
  );
  assert.throws(
    () => parseManifest({ format: 'internvl-onnx/1' }, '/m'),
    /format 'internvl-onnx\/1' is not 'internvl-onnx\/3'.*re-run 'internvl convert'/,
  );
  assert.throws(() => parseManifest({ format: MANIFEST_FORMAT, name: 'x' }, '/m'), /missing 'precision'/);
});

test('a forward rotates with the regime its whole length calls for', () => {
  const phi3: LlmConfig = {
    architecture: 'Phi3ForCausalLM',
    hiddenSize: 8,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 4,
    intermediateSize: 8,
    vocabSize: 10,
    ropeTheta: 10000,
    maxPositionEmbeddings: 64,
    originalMaxPositionEmbeddings: 16,
    ropeScaling: { type: 'su', shortFactor: [1, 2], longFactor: [3, 4] },
    rmsNormEps: 1e-5,
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: undefined,
    tieWordEmbeddings: false,
    slidingWindow: undefined,
  };
  assert.equal(rotaryRegime(phi3, 16).key, 'short');
  assert.equal(rotaryRegime(phi3, 17).key, 'long');
  // Phi-3-mini's derived attention factor sqrt(1 + ln(64/16)/ln(16)) scales cos and sin alike.
  const long = rotaryRegime(phi3, 17);
  const cos = new Float32Array(2);
  const sin = new Float32Array(2);
  writeRotaryRows(long, [5], cos, sin);
  const m = Math.fround(Math.sqrt(1 + Math.log(4) / Math.log(16)));
  assert.equal(cos[1], Math.fround(Math.fround(Math.cos(Math.fround(5 * long.invFreq[1]!))) * m));
  assert.equal(sin[0], Math.fround(Math.fround(Math.sin(Math.fround(5 * long.invFreq[0]!))) * m));

  const ntk: LlmConfig = {
    ...phi3,
    architecture: 'InternLM2ForCausalLM',
    ropeScaling: { type: 'dynamic', factor: 2 },
  };
  assert.equal(rotaryRegime(ntk, 64).key, 'plain');
  assert.equal(rotaryRegime(ntk, 65).key, 'ntk:65');
  assert.ok(
    rotaryRegime(ntk, 65).invFreq[1]! < rotaryRegime(ntk, 64).invFreq[1]!,
    'a larger base turns slower',
  );
});
