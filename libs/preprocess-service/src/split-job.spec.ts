import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ElementType } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import sharp from 'sharp';
import { effectiveOptions, type EffectiveOptions } from './preprocess-request';
import { Preprocessor, type PreprocessOutcome } from './preprocessor';

const ROOT = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');
const image1 = join(ROOT, 'test', 'fixtures', 'images', 'image1.jpg');
const limits = { maxEncodedBytes: 64 << 20, maxPixels: 50_000_000 };

function optionsFor(dtype: ElementType, maxTiles = 12): EffectiveOptions {
  return effectiveOptions(
    { minTiles: 1, maxTiles, imageSize: 448, autoOrient: false, dtype },
    { minTiles: 1, maxTiles: 12, imageSize: 448, dtype: 'float32' },
  );
}

function sameOutcome(got: PreprocessOutcome, want: PreprocessOutcome): void {
  const { pixels, tiles, ...facts } = got;
  const { pixels: wantPixels, tiles: wantTiles, ...wantFacts } = want;
  assert.deepEqual(facts, wantFacts);
  assert.ok(Buffer.from(pixels).equals(Buffer.from(wantPixels)), 'pixel_values differ');
  assert.ok(Buffer.from(tiles).equals(Buffer.from(wantTiles)), 'tiles differ');
}

describe('an image split across two idle workers equals the in-thread result byte for byte', () => {
  let local: Preprocessor;
  let pooled: Preprocessor;
  let jpeg: Buffer;
  let png: Buffer;

  before(async () => {
    local = new Preprocessor({ limits, workers: 0, maxQueue: 0, queueLimitHint: '' });
    pooled = new Preprocessor({ limits, workers: 2, maxQueue: 16, queueLimitHint: '--max-queue' });
    jpeg = await sharp(image1).resize(1920, 1200, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    png = await sharp(image1).resize(1300, 1700, { fit: 'fill' }).png().toBuffer();
  });

  after(async () => {
    await Promise.all([local.close(), pooled.close()]);
  });

  for (const [name, dtype] of [
    ['fp32', ElementType.ELEMENT_TYPE_FLOAT32],
    ['fp16', ElementType.ELEMENT_TYPE_FLOAT16],
  ] as const) {
    test(`JPEG and PNG, ${name}: split (shared pixel_values) and equal`, async () => {
      for (const bytes of [jpeg, png]) {
        const options = optionsFor(dtype);
        const want = await local.preprocess(bytes, options, false);
        const got = await pooled.preprocess(Buffer.from(bytes), options, false);
        assert.ok(got.pixels.buffer instanceof SharedArrayBuffer, 'the image was not split');
        sameOutcome(got, want);
      }
    });
  }

  test('under concurrent requests some run whole, and every result is the same', async () => {
    const options = optionsFor(ElementType.ELEMENT_TYPE_FLOAT16, 6);
    const want = await local.preprocess(jpeg, options, false);
    const got = await Promise.all(
      Array.from({ length: 5 }, () => pooled.preprocess(Buffer.from(jpeg), options, false)),
    );
    for (const outcome of got) sameOutcome(outcome, want);
    assert.ok(
      got.some((o) => o.pixels.buffer instanceof ArrayBuffer),
      'a busy pool still split',
    );
  });

  test('uint8 tiles and small images run as one job', async () => {
    const options = optionsFor(ElementType.ELEMENT_TYPE_FLOAT32, 6);
    const withTiles = await pooled.preprocess(Buffer.from(jpeg), options, true);
    assert.ok(withTiles.pixels.buffer instanceof ArrayBuffer);
    sameOutcome(withTiles, await local.preprocess(jpeg, options, true));
    const small = readFileSync(image1);
    const one = await pooled.preprocess(Buffer.from(small), options, false);
    assert.ok(one.pixels.buffer instanceof ArrayBuffer);
    sameOutcome(one, await local.preprocess(small, options, false));
  });

  test('a truncated image fails as it does in one job (the bottom share decodes to the end)', async () => {
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.9));
    const options = optionsFor(ElementType.ELEMENT_TYPE_FLOAT32);
    const inThread = await local.preprocess(cut, options, false).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(inThread instanceof InvalidArgumentError);
    await assert.rejects(pooled.preprocess(Buffer.from(cut), options, false), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.equal(e.message, inThread.message);
      return true;
    });
  });
});
