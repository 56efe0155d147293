import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import {
  bicubicCoefficients,
  resizeBicubic,
  resizeBicubicScalar,
  simdResampleAvailable,
  withBicubicResizes,
} from './resample-bicubic';
import type { RgbImage } from './rgb-image';

/** Deterministic pseudo-random image (xorshift), with saturated runs to exercise clipping. */
function noiseImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const v = (s >>> 0) & 0xff;
    data[i] = (i >> 6) % 5 === 0 ? (v & 1 ? 255 : 0) : v;
  }
  return { width, height, data };
}

describe('bicubicCoefficients', () => {
  test('fixed-point weights of each output position sum to about one', () => {
    for (const [inSize, outSize] of [
      [1000, 448],
      [300, 1344],
      [7, 3],
      [1, 5],
    ]) {
      const c = bicubicCoefficients(inSize, outSize);
      for (let i = 0; i < outSize; i++) {
        let sum = 0;
        for (let k = 0; k < c.counts[i]; k++) sum += c.weights[i * c.ksize + k];
        assert.ok(Math.abs(sum - (1 << 22)) <= c.counts[i], `sum ${sum} at ${i} for ${inSize}->${outSize}`);
        assert.ok(c.counts[i] >= 1 && c.starts[i] >= 0 && c.starts[i] + c.counts[i] <= inSize);
      }
    }
  });
});

describe('resizeBicubic', () => {
  test('runs on the WebAssembly SIMD kernels here', () => {
    assert.equal(simdResampleAvailable(), true);
  });

  test('SIMD kernels equal the scalar port of Pillow on many sizes (down, up, mixed, 1-pixel)', () => {
    const sizes: [number, number, number, number][] = [
      [1, 1, 1, 1],
      [1, 1, 5, 3],
      [2, 3, 1, 1],
      [17, 9, 16, 9],
      [17, 9, 17, 4],
      [64, 48, 448, 448],
      [301, 199, 97, 61],
      [97, 61, 301, 199],
      [640, 17, 31, 130],
      [33, 700, 200, 9],
    ];
    let seed = 7;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      sizes.push([
        1 + (seed % 90),
        1 + ((seed >>> 8) % 90),
        1 + ((seed >>> 16) % 120),
        1 + ((seed >>> 24) % 120),
      ]);
    }
    for (const [w, h, ow, oh] of sizes) {
      const src = noiseImage(w, h, w * 131 + h);
      const simd = resizeBicubic(src, ow, oh);
      const scalar = resizeBicubicScalar(src, ow, oh);
      assert.equal(simd.data.length, ow * oh * 3);
      assert.ok(Buffer.from(simd.data).equals(Buffer.from(scalar.data)), `${w}x${h} -> ${ow}x${oh} differs`);
    }
  });

  test('several targets in one call equal separate calls', () => {
    const src = noiseImage(257, 130, 3);
    const separate = [resizeBicubic(src, 448, 224), resizeBicubic(src, 57, 57), resizeBicubic(src, 257, 64)];
    withBicubicResizes(
      src,
      [
        [448, 224],
        [57, 57],
        [257, 64],
      ],
      (images) => {
        images.forEach((img, i) =>
          assert.ok(Buffer.from(img.data).equals(Buffer.from(separate[i].data)), `target ${i}`),
        );
      },
    );
  });

  test('a resize nested inside the callback of another does not disturb it', () => {
    const src = noiseImage(120, 80, 5);
    const expected = resizeBicubic(src, 60, 40);
    withBicubicResizes(src, [[60, 40]], ([outer]) => {
      const before = Buffer.from(outer.data);
      withBicubicResizes(noiseImage(300, 300, 9), [[60, 40]], () => undefined);
      assert.ok(before.equals(Buffer.from(outer.data)));
      assert.ok(before.equals(Buffer.from(expected.data)));
    });
  });

  test('same size returns an equal copy, like Pillow', () => {
    const src = noiseImage(10, 7, 1);
    const out = resizeBicubic(src, 10, 7);
    assert.notEqual(out.data.buffer, src.data.buffer);
    assert.ok(Buffer.from(out.data).equals(Buffer.from(src.data)));
  });

  test('invalid sizes and short buffers are refused', () => {
    const src = noiseImage(10, 7, 1);
    assert.throws(() => resizeBicubic(src, 0, 5), InvalidArgumentError);
    assert.throws(() => resizeBicubic(src, 5, 1.5), InvalidArgumentError);
    assert.throws(
      () => resizeBicubic({ width: 10, height: 7, data: new Uint8Array(5) }, 5, 5),
      /expected 210/,
    );
  });
});
