import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ElementType } from './gen/internvl/v1/tensor.pb';
import { imageCacheKey, type ImageKeyOptions } from './image-cache-key';

const DEFAULTS: ImageKeyOptions = {
  minTiles: 1,
  maxTiles: 12,
  imageSize: 448,
  useThumbnail: true,
  dtype: ElementType.ELEMENT_TYPE_FLOAT16,
  autoOrient: false,
};
const IMAGE = Buffer.from('image bytes');

test('imageCacheKey is pinned: the gateway and the preprocess tier of different releases agree', () => {
  // sha256(bytes, '\0', '[1,12,448,true,"fp16",false]'): changing it empties every cache on upgrade.
  assert.equal(
    imageCacheKey(IMAGE, DEFAULTS),
    '241313d727ab4aa9aeb4fc2b026097348029835b807bc1654a71a18c42cc975b',
  );
});

test('every option that changes pixel_values changes the key', () => {
  const base = imageCacheKey(IMAGE, DEFAULTS);
  const variants: Partial<ImageKeyOptions>[] = [
    { minTiles: 2 },
    { maxTiles: 6 },
    { imageSize: 224 },
    { useThumbnail: false },
    { dtype: ElementType.ELEMENT_TYPE_FLOAT32 },
    { autoOrient: true },
  ];
  const keys = variants.map((v) => imageCacheKey(IMAGE, { ...DEFAULTS, ...v }));
  assert.equal(new Set([base, ...keys]).size, variants.length + 1);
  assert.notEqual(imageCacheKey(Buffer.from('image bytez'), DEFAULTS), base);
});
