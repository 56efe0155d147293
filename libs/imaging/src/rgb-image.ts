/** An 8-bit RGB image, pixels interleaved `RGBRGB...`, rows top to bottom, no row padding. */
export interface RgbImage {
  width: number;
  height: number;
  /** `width * height * 3` bytes. */
  data: Uint8Array;
}

/** Bytes per RGB pixel. */
export const RGB_CHANNELS = 3;
