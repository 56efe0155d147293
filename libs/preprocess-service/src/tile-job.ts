import type { DecodeLimits } from '@internvl/image-decode';
import type { EffectiveOptions } from './preprocess-request';

/** Input of one preprocessing job: the encoded image (transferred to the worker, not copied). */
export interface TileJobInput {
  image: Uint8Array;
  limits: DecodeLimits;
  options: EffectiveOptions;
  returnTiles: boolean;
}

/** Output of one preprocessing job: pixel_values bytes and the tiling facts. */
export interface TileJobOutput {
  /** pixel_values [numTiles, 3, S, S], little-endian fp16 or fp32 bytes. */
  pixels: Uint8Array;
  shape: [number, number, number, number];
  cols: number;
  rows: number;
  numTiles: number;
  thumbnail: boolean;
  /** The uint8 RGB tiles (HWC, before normalization), concatenated; empty unless asked. */
  tiles: Uint8Array;
  contentHash: string;
  imageWidth: number;
  imageHeight: number;
}
