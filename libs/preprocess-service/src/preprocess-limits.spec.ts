import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ElementType, PreprocessServiceClient, TilingOptions } from '@internvl/contracts';
import { runLocalService, type LocalService } from '@internvl/service-kit';
import sharp from 'sharp';
import { preprocessApp } from './preprocess-app';
import { preprocessRemote } from '@internvl/tier-clients';

// Issue 13, defect 1: tiling.image_size is bounded before any decoding.

let tier: LocalService<PreprocessServiceClient>;
let client: PreprocessServiceClient;
let image: Buffer;

before(async () => {
  image = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  tier = await runLocalService(
    preprocessApp,
    PreprocessServiceClient,
    ['--workers', '1', '--log-level', 'silent'],
    8 << 20,
  );
  client = tier.client;
});

after(() => tier.stop('test done'));

function preprocess(o: Partial<TilingOptions>) {
  return preprocessRemote(client, image, {
    options: TilingOptions.fromPartial({ dtype: ElementType.ELEMENT_TYPE_FLOAT16, maxTiles: 1, ...o }),
    returnTiles: false,
  });
}

async function expectInvalid(o: Partial<TilingOptions>, pattern: RegExp): Promise<void> {
  const err = await preprocess(o).then(
    () => assert.fail('expected an error'),
    (e: ServiceError) => e,
  );
  assert.equal(err.code, status.INVALID_ARGUMENT, `${err.code} ${err.details}`);
  assert.match(err.details, pattern);
}

describe('PreprocessService bounds tiling.image_size', () => {
  test('100000 is INVALID_ARGUMENT naming the field and the limit (was INTERNAL)', async () => {
    await expectInvalid({ imageSize: 100000 }, /options\.image_size 100000 .*1024.*--max-image-size/);
  });

  test('3000 is INVALID_ARGUMENT before any work (was 1.2 GB of RSS)', async () => {
    await expectInvalid({ imageSize: 3000 }, /options\.image_size 3000 .*1024/);
  });

  test('negative tile counts are INVALID_ARGUMENT naming the wire field', async () => {
    await expectInvalid({ minTiles: -3 }, /options\.min_tiles -3/);
    await expectInvalid({ maxTiles: -3 }, /options\.max_tiles -3/);
  });

  test('the default and sizes up to the limit still work', async () => {
    const atDefault = await preprocess({ imageSize: 448 });
    assert.deepEqual(atDefault.result.pixelValues?.shape, [1, 3, 448, 448]);
    const small = await preprocess({ imageSize: 224 });
    assert.deepEqual(small.result.pixelValues?.shape, [1, 3, 224, 224]);
  });
});
