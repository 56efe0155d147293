import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ElementType, type EmbedRequest } from '@internvl/contracts';
import { runService } from '@internvl/service-kit';
import {
  chunk,
  expectError,
  f32,
  header,
  pixels,
  rawEmbed,
  S,
  serveTinyModelForSuite,
  TILE,
  wire,
} from './testing/vision-fixtures';
import { createVisionApp } from './vision-app';
import { embedRemote } from '@internvl/tier-clients';
import { VisionModel } from './vision-model';

const { files, reference, main } = serveTinyModelForSuite([
  '--max-wait-ms',
  '0',
  '--max-request-tiles',
  '12',
]);

describe('VisionService refuses bad tensors with INVALID_ARGUMENT naming the problem', () => {
  const spec = (shape: number[], dtype = ElementType.ELEMENT_TYPE_FLOAT32, bytes?: number) => ({
    dtype,
    shape,
    byteLength:
      bytes ?? shape.reduce((a, b) => a * b, 1) * (dtype === ElementType.ELEMENT_TYPE_FLOAT16 ? 2 : 4),
  });
  const cases: Array<[string, EmbedRequest[], status, RegExp]> = [
    [
      'wrong image size',
      [header({ pixelValues: spec([1, 3, 224, 224]) })],
      status.INVALID_ARGUMENT,
      /pixel_values\.shape is \[1, 3, 224, 224\]; this model takes \[tiles, 3, 448, 448\]/,
    ],
    [
      'missing tile axis',
      [header({ pixelValues: spec([3, S, S]) })],
      status.INVALID_ARGUMENT,
      /pixel_values\.shape is \[3, 448, 448\]/,
    ],
    [
      'zero tiles',
      [header({ pixelValues: spec([0, 3, S, S]) })],
      status.INVALID_ARGUMENT,
      /0 tiles; send at least one tile/,
    ],
    [
      'unspecified dtype',
      [header({ pixelValues: spec([1, 3, S, S], ElementType.ELEMENT_TYPE_UNSPECIFIED, TILE * 4) })],
      status.INVALID_ARGUMENT,
      /pixel_values\.dtype is ELEMENT_TYPE_UNSPECIFIED; send ELEMENT_TYPE_FLOAT16 or ELEMENT_TYPE_FLOAT32/,
    ],
    [
      'unknown dtype',
      [header({ pixelValues: spec([1, 3, S, S], 9 as ElementType, TILE * 4) })],
      status.INVALID_ARGUMENT,
      /pixel_values\.dtype is 9/,
    ],
    [
      'byte_length that does not match shape and dtype',
      [header({ pixelValues: spec([1, 3, S, S], ElementType.ELEMENT_TYPE_FLOAT16, TILE * 4) })],
      status.INVALID_ARGUMENT,
      /pixel_values\.byte_length is 2408448 but shape \[1, 3, 448, 448\] of float16 needs 1204224 bytes/,
    ],
    [
      'fewer bytes than declared',
      [header({ pixelValues: spec([1, 3, S, S]) }), chunk(1 << 20)],
      status.INVALID_ARGUMENT,
      /pixel_values: stream ended after 1048576 of the declared 2408448 bytes/,
    ],
    [
      'more bytes than declared',
      [
        header({ pixelValues: spec([1, 3, S, S], ElementType.ELEMENT_TYPE_FLOAT16) }),
        chunk(1 << 20),
        chunk(1 << 20),
      ],
      status.INVALID_ARGUMENT,
      /pixel_values: received more than the declared 1204224 bytes/,
    ],
    [
      'neither pixels nor a cache key',
      [header({})],
      status.INVALID_ARGUMENT,
      /EmbedHeader needs pixel_values, a cache_key, or both/,
    ],
    [
      'a bad output_dtype',
      [header({ cacheKey: 'k', outputDtype: 7 as ElementType })],
      status.INVALID_ARGUMENT,
      /output_dtype is 7/,
    ],
    ['pixel bytes before the header', [chunk(16)], status.INVALID_ARGUMENT, /pixel_chunk before the header/],
    [
      'more tiles than max_request_tiles',
      [header({ pixelValues: spec([13, 3, S, S]) })],
      status.INVALID_ARGUMENT,
      /13 tiles, over the limit of 12 per request; raise it with --max-request-tiles \(INTERNVL_VISION_MAX_REQUEST_TILES\)/,
    ],
  ];
  for (const [name, messages, code, pattern] of cases) {
    test(`${name} → ${status[code]}`, () => expectError(rawEmbed(main.client, messages), code, pattern));
  }

  test('bad tensors cost no ORT run and the service keeps serving', async () => {
    const runs = main.runtime.model.runs;
    await expectError(
      rawEmbed(main.client, [header({ pixelValues: spec([1, 3, S, S]) }), chunk(7)]),
      status.INVALID_ARGUMENT,
      /stream ended/,
    );
    assert.equal(main.runtime.model.runs, runs);
    const values = pixels(500, 1);
    const r = await embedRemote(main.client, {
      pixels: wire(values),
      outputDtype: ElementType.ELEMENT_TYPE_FLOAT32,
    });
    assert.deepEqual(f32(r.embeddings), await reference.embeds(values));
  });
});

describe('VisionService start-up', () => {
  const start = (args: string[]) =>
    runService(createVisionApp(), { argv: ['--port', '0', '--log-level', 'silent', ...args], env: {} });

  test('refuses to start without a usable model directory or with contradicting limits, saying what to pass', async () => {
    await assert.rejects(start([]), /no model: pass --model DIR \(or INTERNVL_VISION_MODEL\)/);
    await assert.rejects(
      start(['--model', join(files.work, 'nope')]),
      /model directory .*nope does not exist/,
    );
    const empty = join(files.work, 'empty');
    mkdirSync(empty, { recursive: true });
    await assert.rejects(
      start(['--model', empty]),
      /has no manifest\.json: --model DIR \(or INTERNVL_VISION_MODEL\) must be a directory made by/,
    );
    await assert.rejects(
      start(['--model', files.model, '--max-request-tiles', '64', '--max-queue-tiles', '32']),
      /--max-request-tiles \(INTERNVL_VISION_MAX_REQUEST_TILES\) is 64, above --max-queue-tiles/,
    );
  });

  test('provider cuda without CUDA starts on CPU with a warning; with require_gpu it refuses', async (t) => {
    const warnings: string[] = [];
    const model = await VisionModel.load({
      dir: files.model,
      provider: 'cuda',
      deviceId: 0,
      requireGpu: false,
      intraOpThreads: 1,
      warn: (m) => warnings.push(m),
    });
    await model.release();
    if (model.provider === 'cuda') return t.skip('CUDA is usable on this host');
    assert.equal(model.provider, 'cpu');
    assert.match(
      warnings.join('\n'),
      /CUDA unavailable .*falling back to CPU.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
    await assert.rejects(
      start(['--model', files.model, '--provider', 'cuda', '--require-gpu']),
      /GPU required but CUDA is unavailable/,
    );
  });
});
