import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { f32ToF16Bits } from '@internvl/float-formats';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizationTable,
  normalizeTileFloat16,
  normalizeTileFloat32,
} from './normalize';

const f = Math.fround;

test('the table is torchvision arithmetic in float32: (v / 255 - mean) / std', () => {
  const { f32, f16 } = normalizationTable();
  for (let c = 0; c < 3; c++) {
    for (const v of [0, 1, 127, 128, 254, 255]) {
      const expected = f(f(f(v / 255) - f(IMAGENET_MEAN[c])) / f(IMAGENET_STD[c]));
      assert.equal(f32[c * 256 + v], expected);
      assert.equal(f16[c * 256 + v], f32ToF16Bits(expected));
    }
  }
  // Spot values from torchvision 0.14 (ToTensor + Normalize on a uint8 ramp).
  assert.equal(f32[0], f(-2.117904));
  assert.equal(f32[255], f(2.2489083));
  assert.equal(f32[512 + 255], f(2.64));
  assert.equal(normalizationTable(), normalizationTable());
});

test('a crop is written as CHW planes at the offset', () => {
  // 3x2 image; crop the right 2x2 block.
  const data = Uint8Array.from({ length: 18 }, (_, i) => i * 10);
  const image = { width: 3, height: 2, data };
  const out = new Float32Array(2 + 12);
  normalizeTileFloat32(image, { left: 1, top: 0, width: 2, height: 2 }, out, 2);
  const { f32 } = normalizationTable();
  const px = [1, 2, 4, 5]; // pixel indices in the crop, row-major
  for (let c = 0; c < 3; c++) {
    px.forEach((p, i) => assert.equal(out[2 + c * 4 + i], f32[c * 256 + data[p * 3 + c]]));
  }
  assert.equal(out[0], 0);
  const half = new Uint16Array(12);
  normalizeTileFloat16(image, { left: 1, top: 0, width: 2, height: 2 }, half, 0);
  assert.deepEqual(
    [...half],
    [...out.subarray(2)].map((v) => f32ToF16Bits(v)),
  );
});

test('custom mean and std', () => {
  const t = normalizationTable({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  assert.equal(t.f32[0], -1);
  assert.equal(t.f32[255], 1);
});

test('bad boxes, short outputs and zero stds are refused', () => {
  const image = { width: 4, height: 4, data: new Uint8Array(48) };
  assert.throws(
    () => normalizeTileFloat32(image, { left: 2, top: 0, width: 3, height: 1 }, new Float32Array(9), 0),
    InvalidArgumentError,
  );
  assert.throws(
    () => normalizeTileFloat32(image, { left: 0, top: 0, width: 2, height: 2 }, new Float32Array(11), 0),
    /needs 12/,
  );
  assert.throws(() => normalizationTable({ std: [0, 1, 1] }), InvalidArgumentError);
});
