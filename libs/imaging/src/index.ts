export type { RgbImage, RgbRows } from './rgb-image';
export type { RowBand } from './row-band';
export { preprocessSourceRows } from './preprocess-band';
export {
  MAX_TILES_LIMIT,
  candidateGrids,
  chooseGrid,
  planTiles,
  resolveTilingOptions,
  type CropBox,
  type Grid,
  type ResolvedTilingOptions,
  type TilePlan,
  type TilingOptions,
} from './tiling';
export {
  bicubicCoefficients,
  resizeBicubic,
  resizeBicubicScalar,
  simdResampleAvailable,
  withBicubicResizes,
  type ResampleCoefficients,
} from './resample-bicubic';
export { cropRgb } from './crop';
export {
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizationTable,
  normalizeTileFloat16,
  normalizeTileFloat32,
  type NormalizationTable,
  type NormalizeOptions,
  type NormalizeWith,
} from './normalize';
export { preprocessPixels, type PreprocessOptions, type PreprocessResult } from './preprocess-pixels';
export { decodeNpy, encodeNpy, type NpyArray, type NpyDtype } from './npy';
