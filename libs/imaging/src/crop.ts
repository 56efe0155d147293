import { InvalidArgumentError } from '@internvl/errors';
import { RGB_CHANNELS, type RgbImage } from './rgb-image';
import type { CropBox } from './tiling';

/** Throws unless `box` lies inside `image` and is non-empty. */
export function checkCropBox(image: RgbImage, box: CropBox): void {
  const { left, top, width, height } = box;
  const ok =
    [left, top, width, height].every(Number.isSafeInteger) &&
    left >= 0 &&
    top >= 0 &&
    width > 0 &&
    height > 0 &&
    left + width <= image.width &&
    top + height <= image.height;
  if (!ok) {
    throw new InvalidArgumentError(
      `crop box ${width}x${height}+${left}+${top} does not fit in a ${image.width}x${image.height} image`,
    );
  }
}

/** Copies the pixels of `box` out of an RGB image (like Pillow's `Image.crop` inside the image). */
export function cropRgb(image: RgbImage, box: CropBox): RgbImage {
  checkCropBox(image, box);
  const rowBytes = box.width * RGB_CHANNELS;
  const stride = image.width * RGB_CHANNELS;
  const out = new Uint8Array(box.height * rowBytes);
  for (let y = 0; y < box.height; y++) {
    const from = (box.top + y) * stride + box.left * RGB_CHANNELS;
    out.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { width: box.width, height: box.height, data: out };
}
