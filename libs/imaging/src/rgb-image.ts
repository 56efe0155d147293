/** An 8-bit RGB image, pixels interleaved `RGBRGB...`, rows top to bottom, no row padding. */
export interface RgbImage {
  width: number;
  height: number;
  /** `width * height * 3` bytes. */
  data: Uint8Array;
}

/**
 * Some rows of a `width` x `height` RGB image: `data` holds rows `top ..< top + rows` only (what
 * one share of the work needs, see {@link RowBand}).
 */
export interface RgbRows extends RgbImage {
  top: number;
  rows: number;
}

/** Bytes per RGB pixel. */
export const RGB_CHANNELS = 3;

/** The rows of `image` at hand: all of them for an {@link RgbImage}. */
export function rowsAtHand(image: RgbImage | RgbRows): { top: number; rows: number } {
  return 'top' in image ? { top: image.top, rows: image.rows } : { top: 0, rows: image.height };
}
