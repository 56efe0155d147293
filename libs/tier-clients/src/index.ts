export type { TierCallOptions } from './call-options';
export { preprocessRemote, type RemotePreprocessResult } from './preprocess-client';
export {
  embedRemote,
  embedRemoteCached,
  probeEmbedding,
  type EmbedPixels,
  type EmbedRemoteRequest,
  type RemoteEmbedResult,
} from './vision-client';
export { generateRemote } from './llm-client';
export * from './routing';
