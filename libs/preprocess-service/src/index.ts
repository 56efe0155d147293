export { preprocessApp } from './preprocess-app';
export { preprocessSchema } from './preprocess-config';
export { Preprocessor, type PreprocessOutcome, type PreprocessorOptions } from './preprocessor';
export { preprocessRemote, type RemotePreprocessResult } from './preprocess-client';
export {
  effectiveOptions,
  contentHash,
  dtypeFromWire,
  dtypeToWire,
  type EffectiveOptions,
  type PixelDType,
  type OptionDefaults,
} from './preprocess-request';
export { estimateImageTiles } from './tile-estimate';
export { checkTilingBounds, DEFAULT_MAX_IMAGE_SIZE } from './tiling-bounds';
export { MAX_TILES_LIMIT } from '@internvl/imaging';
