import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { InternVLConfig } from '../model-config';
import { DECODER_IO, decoderIo } from './decoder-io';
import { EMBED_IO, embedIo } from './embed-io';
import { runDims, SYMBOLIC_DIMS } from './tensor-spec';
import { VISION_IO, visionIo } from './vision-io';

// Only the fields the IO contract reads.
const config = {
  imageSize: 448,
  numImageTokens: 256,
  llm: { hiddenSize: 64, headDim: 16, numKvHeads: 2, vocabSize: 100 },
} as InternVLConfig;

test('vision.onnx: pixel_values and image_embeds per tile, in the vision dtype', () => {
  const io = visionIo(config, 'float16');
  assert.deepEqual(io.pixelValues, {
    name: VISION_IO.pixelValues,
    type: 'float16',
    dims: ['num_tiles', 3, 448, 448],
  });
  assert.deepEqual(runDims(io.imageEmbeds, { [SYMBOLIC_DIMS.tiles]: 3 }), [3, 256, 64]);
});

test('embed.onnx: int64 ids in, embeddings of the decoder dtype out', () => {
  const io = embedIo(config, 'float32');
  assert.deepEqual(io.inputIds, { name: EMBED_IO.inputIds, type: 'int64', dims: ['batch', 'seq'] });
  assert.deepEqual(io.inputsEmbeds.dims, ['batch', 'seq', 64]);
});

test('decoder.onnx: K/V in the KV dtype, the rest as the contract states', () => {
  const io = decoderIo(config, { type: 'float32', kvType: 'float16' });
  assert.deepEqual(io.pastKey(3), {
    name: DECODER_IO.pastKey(3),
    type: 'float16',
    dims: ['batch', 2, 'past_seq', 16],
  });
  assert.deepEqual(io.newValue(0).dims, ['batch', 2, 'seq', 16]);
  assert.equal(io.newValue(0).name, 'new.0.value');
  assert.deepEqual(io.ropeCos.dims, ['batch', 'seq', 8]);
  assert.deepEqual(io.logits, { name: 'logits', type: 'float32', dims: ['logits_rows', 100] });
  assert.equal(io.inputsEmbeds.type, 'float32');
});

test('runDims names the symbolic dim it was not given', () => {
  const io = decoderIo(config, { type: 'float32', kvType: 'float32' });
  assert.deepEqual(runDims(io.newBias, { batch: 2, seq: 5 }), [2, 1, 5, 5]);
  assert.throws(() => runDims(io.pastBias, { batch: 2 }), /past_bias: no size given for dim 'past_seq'/);
});
