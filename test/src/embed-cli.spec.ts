import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ElementType } from '@internvl/contracts';
import { f16ToF32 } from '@internvl/float-formats';
import { decodeNpy } from '@internvl/imaging';
import { VISION_IO } from '@internvl/model-config';
import { createSession, float32Tensor } from '@internvl/ort';
import { effectiveOptions, Preprocessor } from '@internvl/preprocess-service';
import { CLI, FIXTURES } from './support/paths';
import { runCli, startServer, type RunningProcess } from './support/processes';
import { buildTinyModel } from './support/tiny-model';

const image = join(FIXTURES, 'images', 'image2.jpg');
/** image2 at max_num 6 is a 2x2 grid + thumbnail: 5 tiles. */
const MAX_NUM = 6;

/** image_embeds of image2 at MAX_NUM, computed in this process: preprocess, then ORT on vision.onnx. */
async function inProcessEmbeddings(model: string): Promise<Float32Array> {
  const preprocessor = new Preprocessor({
    limits: { maxEncodedBytes: 64 << 20, maxPixels: 89_478_485 },
    workers: 0,
    maxQueue: 0,
    queueLimitHint: '',
  });
  const options = effectiveOptions(
    {
      minTiles: 1,
      maxTiles: MAX_NUM,
      useThumbnail: true,
      imageSize: 0,
      autoOrient: false,
      dtype: ElementType.ELEMENT_TYPE_FLOAT16,
    },
    { minTiles: 1, maxTiles: 12, imageSize: 448, dtype: 'float16' },
  );
  const outcome = await preprocessor.preprocess(readFileSync(image), options, false);
  const bits = new Uint16Array(
    outcome.pixels.buffer.slice(
      outcome.pixels.byteOffset,
      outcome.pixels.byteOffset + outcome.pixels.byteLength,
    ),
  );
  const { session } = await createSession(join(model, 'vision.onnx'), {
    provider: 'cpu',
    intraOpNumThreads: 1,
  });
  try {
    const out = await session.run({ [VISION_IO.pixelValues]: float32Tensor(f16ToF32(bits), outcome.shape) });
    return out[VISION_IO.imageEmbeds]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('internvl embed: image → preprocess tier → vision tier → .npy', () => {
  let model: string;
  let preprocess: RunningProcess;
  let vision: RunningProcess;
  const out = mkdtempSync(join(tmpdir(), 'internvl-embed-'));
  before(async () => {
    model = await buildTinyModel();
    [preprocess, vision] = await Promise.all([
      startServer(CLI, ['serve', 'preprocess', '--port', '0', '--workers', '1']),
      startServer(CLI, ['serve', 'vision', '--port', '0', '--model', model]),
    ]);
  });
  after(async () => {
    assert.deepEqual(await Promise.all([preprocess.stop(), vision.stop()]), [0, 0]);
  });

  const embed = (file: string, visionAddr = `127.0.0.1:${vision.port}`) =>
    runCli([
      'embed',
      image,
      '--max-num',
      String(MAX_NUM),
      '--out',
      file,
      '--preprocess-addr',
      `127.0.0.1:${preprocess.port}`,
      '--vision-addr',
      visionAddr,
    ]);

  test('writes float32 [tiles*256, hidden] equal to an in-process ORT run on the same pixels; again from the cache', async () => {
    const first = join(out, 'first.npy');
    const { stdout } = await embed(first);
    assert.match(stdout, /5 tiles \(incl\. thumbnail\) → embeddings \[1280, 64\] float32/);
    assert.doesNotMatch(stdout, /cache hit/);
    const npy = decodeNpy(readFileSync(first));
    assert.equal(npy.dtype, '<f4');
    assert.deepEqual(npy.shape, [1280, 64]);
    assert.deepEqual(npy.data, await inProcessEmbeddings(model));

    const second = join(out, 'second.npy');
    const again = await embed(second);
    assert.match(again.stdout, /\(vision cache hit\)/);
    assert.ok(readFileSync(second).equals(readFileSync(first)));
  });

  test('an unreachable vision tier fails with exit code 1 and a hint', async () => {
    const err = await embed(join(out, 'x.npy'), '127.0.0.1:1').then(
      () => assert.fail('expected failure'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.stderr, /cannot reach the vision tier at 127\.0\.0\.1:1.*--vision-addr/);
  });
});
