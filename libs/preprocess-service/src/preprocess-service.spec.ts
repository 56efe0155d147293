import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ElementType, PreprocessServiceClient, type TilingOptions } from '@internvl/contracts';
import { f32ToF16Bits } from '@internvl/float-formats';
import { decodeNpy } from '@internvl/imaging';
import { runLocalService, type LocalService } from '@internvl/service-kit';
import sharp from 'sharp';
import { preprocessApp } from './preprocess-app';
import { preprocessRemote } from '@internvl/tier-clients';

const ROOT = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');
const fixture = (...p: string[]) => join(ROOT, 'test', 'fixtures', ...p);
const image1 = readFileSync(fixture('images', 'image1.jpg'));
const image2 = readFileSync(fixture('images', 'image2.jpg'));

let tier: LocalService<PreprocessServiceClient>;
let client: PreprocessServiceClient;

const options = (o: Partial<TilingOptions> = {}): TilingOptions => ({
  minTiles: 0,
  maxTiles: 0,
  imageSize: 0,
  autoOrient: false,
  dtype: ElementType.ELEMENT_TYPE_FLOAT32,
  ...o,
});

async function expectError(
  image: Uint8Array,
  o: Partial<TilingOptions>,
  code: status,
  pattern: RegExp,
): Promise<void> {
  const err = await preprocessRemote(client, image, { options: options(o), returnTiles: false }).then(
    () => assert.fail('expected an error'),
    (e: ServiceError) => e,
  );
  assert.equal(err.code, code, `${err.code} ${err.details}`);
  assert.match(err.details, pattern);
}

before(async () => {
  tier = await runLocalService(
    preprocessApp,
    PreprocessServiceClient,
    [
      '--workers',
      '2',
      '--max-image-bytes',
      String(2 * 1024 * 1024),
      '--max-image-pixels',
      '20000000',
      '--max-queue',
      '8',
      '--log-level',
      'silent',
    ],
    8 << 20,
  );
  client = tier.client;
});

after(() => tier.stop('test done'));

describe('PreprocessService output is bit-exact with the reference', () => {
  test('fp32 pixel_values of image1 at max_num 1 equal the reference tensor exactly', async () => {
    const r = await preprocessRemote(client, image1, {
      options: options({ maxTiles: 1 }),
      returnTiles: false,
    });
    const golden = decodeNpy(readFileSync(fixture('golden', 'preprocess', 'image1_max1_tensor.npy')));
    assert.deepEqual(r.result.pixelValues?.shape, [1, 3, 448, 448]);
    assert.deepEqual(golden.shape, [1, 3, 448, 448]);
    assert.ok(
      Buffer.from(golden.data.buffer, golden.data.byteOffset, golden.data.byteLength).equals(r.pixelValues),
      'pixel_values differ from the reference',
    );
    assert.equal(r.result.numTiles, 1);
    assert.equal(r.result.hasThumbnail, false);
  });

  test('tiles of image2 at max_num 6 equal the golden PNGs byte for byte, grid and thumbnail as the reference', async () => {
    const r = await preprocessRemote(client, image2, {
      options: options({ maxTiles: 6 }),
      returnTiles: true,
    });
    const meta = JSON.parse(
      readFileSync(fixture('golden', 'preprocess', 'image2_max6', 'meta.json'), 'utf8'),
    ) as { cols: number; rows: number; num_tiles: number; thumbnail: boolean };
    assert.deepEqual(
      [r.result.gridCols, r.result.gridRows, r.result.numTiles, r.result.hasThumbnail],
      [meta.cols, meta.rows, meta.num_tiles, meta.thumbnail],
    );
    const tileBytes = 448 * 448 * 3;
    for (let i = 0; i < meta.num_tiles; i++) {
      const png = fixture('golden', 'preprocess', 'image2_max6', `tile_${String(i).padStart(2, '0')}.png`);
      const expected = await sharp(png).removeAlpha().raw().toBuffer();
      assert.ok(expected.equals(r.tiles.subarray(i * tileBytes, (i + 1) * tileBytes)), `tile ${i} differs`);
    }
  });

  test('fp16 output is the fp32 output rounded to nearest even; the content hash depends on options', async () => {
    const f32 = await preprocessRemote(client, image2, {
      options: options({ maxTiles: 2 }),
      returnTiles: false,
    });
    const f16 = await preprocessRemote(client, image2, {
      options: options({ maxTiles: 2, dtype: ElementType.ELEMENT_TYPE_FLOAT16 }),
      returnTiles: false,
    });
    assert.equal(f16.result.pixelValues?.dtype, ElementType.ELEMENT_TYPE_FLOAT16);
    const asF32 = new Float32Array(
      f32.pixelValues.buffer.slice(
        f32.pixelValues.byteOffset,
        f32.pixelValues.byteOffset + f32.pixelValues.byteLength,
      ),
    );
    const asF16 = new Uint16Array(
      f16.pixelValues.buffer.slice(
        f16.pixelValues.byteOffset,
        f16.pixelValues.byteOffset + f16.pixelValues.byteLength,
      ),
    );
    assert.equal(asF16.length, asF32.length);
    for (let i = 0; i < asF32.length; i += 997) assert.equal(asF16[i], f32ToF16Bits(asF32[i]!));
    assert.notEqual(f32.result.contentHash, f16.result.contentHash);
    const again = await preprocessRemote(client, image2, {
      options: options({ maxTiles: 2 }),
      returnTiles: false,
    });
    assert.equal(again.result.contentHash, f32.result.contentHash);
    assert.match(f32.result.contentHash, /^[0-9a-f]{64}$/);
  });
});

describe('PreprocessService answers bad input with a status a person can act on', () => {
  test('empty image → INVALID_ARGUMENT', () =>
    expectError(new Uint8Array(0), {}, status.INVALID_ARGUMENT, /empty/));
  test('truncated JPEG → INVALID_ARGUMENT', () =>
    expectError(image1.subarray(0, image1.length >> 1), {}, status.INVALID_ARGUMENT, /truncated|corrupt/i));
  test('random bytes → INVALID_ARGUMENT', () =>
    expectError(
      Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)),
      {},
      status.INVALID_ARGUMENT,
      /unsupported|corrupt|format/i,
    ));
  test('SVG is refused → INVALID_ARGUMENT', () =>
    expectError(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
      ),
      {},
      status.INVALID_ARGUMENT,
      /svg/i,
    ));
  test('max_tiles < min_tiles → INVALID_ARGUMENT', () =>
    expectError(image1, { minTiles: 6, maxTiles: 2 }, status.INVALID_ARGUMENT, /max/i));
  test('max_tiles > 40 → INVALID_ARGUMENT', () =>
    expectError(image1, { maxTiles: 41 }, status.INVALID_ARGUMENT, /40/));
  test('over max_image_bytes → INVALID_ARGUMENT (permanent, not RESOURCE_EXHAUSTED) naming the limit and option', () =>
    expectError(
      Buffer.alloc(3 * 1024 * 1024, 1),
      {},
      status.INVALID_ARGUMENT,
      /2097152 bytes.*--max-image-bytes/,
    ));
  test('decompression bomb (over max_image_pixels) → INVALID_ARGUMENT before decoding', async () => {
    const bomb = await sharp({
      create: { width: 5000, height: 5000, channels: 3, background: { r: 0, g: 0, b: 0 } },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await expectError(bomb, {}, status.INVALID_ARGUMENT, /25000000 pixels.*max_image_pixels/);
  });

  test('after every bad input the service still serves a good request', async () => {
    const r = await preprocessRemote(client, image2, {
      options: options({ maxTiles: 1 }),
      returnTiles: false,
    });
    assert.equal(r.result.numTiles, 1);
  });
});

describe('PreprocessService keeps the event loop free under load', () => {
  test('a burst of four 4000x3000 JPEGs never blocks the event loop for 100 ms (tiling runs in workers)', async () => {
    // Each image needs ~100 ms of synchronous resize + normalize on this class of machine: if that
    // work ran on the event loop, the maximum delay below would exceed the bound.
    const big = await sharp(image1).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const burst = Promise.all(
      Array.from({ length: 4 }, () =>
        preprocessRemote(client, big, {
          options: options({ maxTiles: 12, dtype: ElementType.ELEMENT_TYPE_FLOAT16 }),
          returnTiles: false,
        }),
      ),
    );
    const results = await burst;
    delay.disable();
    assert.deepEqual(
      results.map((r) => r.result.numTiles),
      [13, 13, 13, 13],
    );
    const maxMs = delay.max / 1e6;
    assert.ok(maxMs < 100, `event loop blocked for ${maxMs.toFixed(1)} ms`);
  });

  test('a full queue answers RESOURCE_EXHAUSTED with the limit; the service keeps serving', async () => {
    const calls = Array.from({ length: 14 }, () =>
      preprocessRemote(client, image1, { options: options({ maxTiles: 12 }), returnTiles: false }).then(
        () => undefined,
        (e: ServiceError) => e,
      ),
    );
    const errors = (await Promise.all(calls)).filter((e): e is ServiceError => e !== undefined);
    assert.ok(errors.length > 0, 'some calls were refused');
    for (const e of errors) {
      assert.equal(e.code, status.RESOURCE_EXHAUSTED, e.details);
      assert.match(e.details, /queue limit is 8.*--max-queue/);
    }
    const r = await preprocessRemote(client, image2, {
      options: options({ maxTiles: 1 }),
      returnTiles: false,
    });
    assert.equal(r.result.numTiles, 1);
  });
});
