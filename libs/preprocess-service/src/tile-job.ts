import type { DecodeLimits } from '@internvl/image-decode';
import type { RowBand } from '@internvl/imaging';
import type { EffectiveOptions } from './preprocess-request';

/** One worker's share of an image that several workers preprocess at once. */
export interface TileJobShare {
  band: RowBand;
  /** The image's size from its header, which the caller planned `output` with. */
  width: number;
  height: number;
  /** The whole pixel_values, shared by every share's worker; each writes its band's values. */
  output: SharedArrayBuffer;
}

/** Input of one preprocessing job: the encoded image (transferred to the worker, not copied). */
export interface TileJobInput {
  image: Uint8Array;
  limits: DecodeLimits;
  options: EffectiveOptions;
  returnTiles: boolean;
  /** Only this share of the work (never with `returnTiles`); by default the whole image. */
  share?: TileJobShare;
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
