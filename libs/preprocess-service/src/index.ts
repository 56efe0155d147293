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
