import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ElementType } from '@internvl/contracts';
import { convertCheckpoint } from '@internvl/converter';
import { f16ToF32, f32ToF16 } from '@internvl/float-formats';
import { VISION_IO } from '@internvl/model-config';
import { createSession, float16Tensor } from '@internvl/ort';
import {
  chunk,
  expectError,
  f32,
  header,
  pixels,
  rawEmbed,
  S,
  serve,
  serveTinyModelForSuite,
  TILE,
  waitFor,
  wire,
} from './testing/vision-fixtures';
import {
  embedRemote,
  embedRemoteCached,
  type EmbedPixels,
  type RemoteEmbedResult,
} from '@internvl/tier-clients';

// A long max_wait makes batching deterministic: requests fired together always meet in the queue.
const { files, reference, main } = serveTinyModelForSuite([
  '--max-wait-ms',
  '200',
  '--max-batch-tiles',
  '8',
  '--max-request-tiles',
  '12',
]);
const referenceEmbeds = (values: Float32Array) => reference.embeds(values);

describe('VisionService embeddings equal an in-process ORT run of the same model', () => {
  test('GetVisionInfo describes the loaded model', async () => {
    const info = await new Promise((resolve, reject) =>
      main.client.getVisionInfo({}, (err, res) => (err ? reject(err) : resolve(res))),
    );
    assert.deepEqual(info, {
      modelName: 'ckpt',
      imageSize: 448,
      tokensPerTile: 256,
      embeddingDim: 64,
      executionProvider: 'cpu',
      maxBatchTiles: 8,
    });
  });

  test('fp32 pixels of 2 tiles → fp32 embeddings [512, 64] exactly equal to ORT', async () => {
    const values = pixels(1, 2);
    const r = await embedRemote(main.client, {
      pixels: wire(values),
      outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
    });
    assert.deepEqual(r.result.embeddings, {
      dtype: ElementType.ELEMENT_TYPE_FLOAT32,
      shape: [512, 64],
      byteLength: 512 * 64 * 4,
    });
    assert.equal(r.result.numTiles, 2);
    assert.equal(r.result.cacheHit, false);
    assert.deepEqual(f32(r.embeddings), await referenceEmbeds(values));
  });

  test('fp16 pixels in, default fp16 embeddings out: the fp32 result rounded to nearest even', async () => {
    const values = pixels(2, 1);
    const r = await embedRemote(main.client, {
      pixels: wire(values, 'float16'),
      outputDtype: ElementType.ELEMENT_TYPE_UNSPECIFIED,
    });
    assert.equal(r.result.embeddings?.dtype, ElementType.ELEMENT_TYPE_FLOAT16);
    const expected = f32ToF16(await referenceEmbeds(f16ToF32(f32ToF16(values))));
    assert.ok(Buffer.from(expected.buffer).equals(r.embeddings), 'fp16 embeddings differ');
  });

  test('a request over max_batch_tiles runs in chunks (8 + 2 tiles) and still equals one ORT run', async () => {
    const values = pixels(3, 10);
    const runs = main.runtime.model.runs;
    const r = await embedRemote(main.client, {
      pixels: wire(values),
      outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
    });
    assert.equal(main.runtime.model.runs - runs, 2);
    assert.deepEqual(r.result.embeddings?.shape, [2560, 64]);
    assert.deepEqual(f32(r.embeddings), await referenceEmbeds(values));
  });

  test('an fp16 model gets the request converted to its input type', async () => {
    const dir16 = join(files.work, 'model-fp16');
    await convertCheckpoint({ from: files.checkpoint, to: dir16, precision: 'fp16' });
    const served = await serve(dir16, ['--max-wait-ms', '0']);
    try {
      const values = pixels(4, 1);
      const r = await embedRemote(served.client, {
        pixels: wire(values),
        outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
      });
      const { session } = await createSession(join(dir16, 'vision.onnx'), {
        provider: 'cpu',
        intraOpNumThreads: 1,
      });
      const out = await session.run({
        [VISION_IO.pixelValues]: float16Tensor(f32ToF16(values), [1, 3, S, S]),
      });
      await session.release();
      assert.deepEqual(f32(r.embeddings), f16ToF32(out[VISION_IO.imageEmbeds]!.data as Uint16Array));
    } finally {
      await served.stop();
    }
  });
});

describe('VisionService batches tiles of concurrent requests', () => {
  test('8 concurrent requests run in fewer ORT runs than requests; each equals its solo result exactly', async () => {
    const inputs = Array.from({ length: 8 }, (_, i) => wire(pixels(100 + i, 1), 'float16'));
    const embed = (p: EmbedPixels) =>
      embedRemote(main.client, { pixels: p, outputDtype: ElementType.ELEMENT_TYPE_FLOAT32 });
    const solo: Buffer[] = [];
    for (const p of inputs) solo.push((await embed(p)).embeddings);

    const runs = main.runtime.model.runs;
    const stats = { ...main.runtime.embedder.batcher.stats };
    const together = await Promise.all(inputs.map(embed));
    const used = main.runtime.model.runs - runs;
    assert.ok(used < 8, `8 requests took ${used} runs`);
    assert.equal(main.runtime.embedder.batcher.stats.tiles - stats.tiles, 8);
    together.forEach((r, i) => assert.ok(r.embeddings.equals(solo[i]!), `request ${i} differs from solo`));
  });

  test('model runs stay off the event loop: a 12-tile request (runs of 8 + 4 tiles) never blocks it for 100 ms', async () => {
    // The tiny model needs ~40 ms per tile on one thread: a run on the event loop would block it
    // for ~300 ms. fp16 in and out also exercises the stepwise dtype conversions.
    const values = pixels(150, 12);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const r = await embedRemote(main.client, {
      pixels: wire(values, 'float16'),
      outputDtype: ElementType.ELEMENT_TYPE_FLOAT16,
    });
    delay.disable();
    assert.equal(r.result.numTiles, 12);
    const maxMs = delay.max / 1e6;
    assert.ok(maxMs < 100, `event loop blocked for ${maxMs.toFixed(1)} ms`);
  });

  test('a bad request never fails the good ones sent with it', async () => {
    const good = [pixels(200, 1), pixels(201, 1)];
    const spec = { dtype: ElementType.ELEMENT_TYPE_FLOAT32, shape: [1, 3, S, S], byteLength: TILE * 4 };
    const [a, bad, b] = await Promise.allSettled([
      embedRemote(main.client, { pixels: wire(good[0]!), outputDtype: ElementType.ELEMENT_TYPE_FLOAT32 }),
      rawEmbed(main.client, [header({ pixelValues: spec }), chunk(TILE * 2)]),
      embedRemote(main.client, { pixels: wire(good[1]!), outputDtype: ElementType.ELEMENT_TYPE_FLOAT32 }),
    ]);
    assert.equal(bad.status, 'rejected');
    assert.equal((bad.reason as ServiceError).code, status.INVALID_ARGUMENT);
    for (const [i, r] of [a, b].entries()) {
      assert.equal(r!.status, 'fulfilled');
      const { embeddings } = (r as PromiseFulfilledResult<RemoteEmbedResult>).value;
      assert.deepEqual(f32(embeddings), await referenceEmbeds(good[i]!));
    }
  });

  test('a request cancelled while queued leaves no trace: no run, no queue entry, nothing cached', async () => {
    // max_wait of a minute: the lone request stays queued until the test cancels it.
    const served = await serve(files.model, ['--max-wait-ms', '60000', '--max-batch-tiles', '4']);
    try {
      const { batcher } = served.runtime.embedder;
      const runs = served.runtime.model.runs;
      const controller = new AbortController();
      const cancelled = embedRemote(
        served.client,
        { cacheKey: 'cancelled-image', pixels: wire(pixels(300, 1)), outputDtype: 0 },
        { signal: controller.signal },
      );
      await waitFor('the request to be queued', () => batcher.queuedTiles === 1);
      controller.abort();
      await assert.rejects(cancelled);
      await waitFor('the request to leave the queue', () => batcher.queuedTiles === 0);
      assert.equal(batcher.stats.cancelled, 1);

      // A full batch runs at once, without the cancelled tile.
      const values = pixels(301, 4);
      const r = await embedRemote(served.client, {
        pixels: wire(values),
        outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
      });
      assert.deepEqual(f32(r.embeddings), await referenceEmbeds(values));
      assert.equal(served.runtime.model.runs - runs, 1);
      assert.deepEqual(batcher.stats, { runs: 1, tiles: 4, slices: 1, cancelled: 1 });
      await expectError(
        embedRemote(served.client, { cacheKey: 'cancelled-image', outputDtype: 0 }),
        status.NOT_FOUND,
        /cancelled-image is not in the embedding cache/,
      );
    } finally {
      await served.stop();
    }
  });
});

describe('VisionService caches embeddings by content hash', () => {
  test('a cache hit (key only, or key with pixels) returns the same embeddings with no ORT run', async () => {
    const values = pixels(400, 2);
    const key = 'a'.repeat(64);
    const ask = (withPixels: boolean) =>
      embedRemote(main.client, {
        cacheKey: key,
        pixels: withPixels ? wire(values) : undefined,
        outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
      });
    await expectError(ask(false), status.NOT_FOUND, /not in the embedding cache; .*pixel_values/);
    const runs = main.runtime.model.runs;
    const miss = await ask(true);
    assert.equal(miss.result.cacheHit, false);
    assert.equal(main.runtime.model.runs - runs, 1);
    for (const withPixels of [false, true]) {
      const hit = await ask(withPixels);
      assert.equal(hit.result.cacheHit, true);
      assert.ok(hit.embeddings.equals(miss.embeddings));
    }
    assert.equal(main.runtime.model.runs - runs, 1, 'hits ran nothing');
    assert.ok(main.runtime.embedder.cache.byteSize >= 2 * 256 * 64 * 4);
  });

  test('a multi-turn conversation re-sending an image runs the encoder once and sends pixels once', async () => {
    const values = pixels(401, 1);
    let pixelSends = 0;
    const turn = () =>
      embedRemoteCached(
        main.client,
        'conversation-image',
        async () => {
          pixelSends++;
          return wire(values, 'float16');
        },
        ElementType.ELEMENT_TYPE_FLOAT16,
      );
    const runs = main.runtime.model.runs;
    const first = await turn();
    const second = await turn();
    const third = await turn();
    assert.deepEqual(
      [first.result.cacheHit, second.result.cacheHit, third.result.cacheHit],
      [false, true, true],
    );
    assert.equal(pixelSends, 1);
    assert.equal(main.runtime.model.runs - runs, 1);
    assert.ok(second.embeddings.equals(first.embeddings) && third.embeddings.equals(first.embeddings));
  });

  test('concurrent requests for one new key share one run', async () => {
    const values = pixels(402, 1);
    const runs = main.runtime.model.runs;
    const results = await Promise.all(
      [0, 1, 2].map(() =>
        embedRemote(main.client, {
          cacheKey: 'coalesced-image',
          pixels: wire(values),
          outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
        }),
      ),
    );
    assert.equal(main.runtime.model.runs - runs, 1);
    assert.deepEqual(results.map((r) => r.result.cacheHit).sort(), [false, true, true]);
    for (const r of results) assert.deepEqual(f32(r.embeddings), await referenceEmbeds(values));
  });
});
