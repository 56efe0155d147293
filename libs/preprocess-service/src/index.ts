export { preprocessApp } from './preprocess-app';
export { preprocessSchema } from './preprocess-config';
export { Preprocessor, type PreprocessOutcome, type PreprocessorOptions } from './preprocessor';
export {
  effectiveOptions,
  contentHash,
  type EffectiveOptions,
  type OptionDefaults,
} from './preprocess-request';
export { checkTilingBounds, DEFAULT_MAX_IMAGE_SIZE } from './tiling-bounds';
export { MAX_TILES_LIMIT } from '@internvl/imaging';
