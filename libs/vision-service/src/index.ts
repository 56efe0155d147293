export { visionApp, createVisionApp, type VisionRuntime, type VisionAppHooks } from './vision-app';
export { visionSchema } from './vision-config';
export { VisionModel, type VisionModelOptions } from './vision-model';
export { Embedder, type Embeddings, type EmbedWork } from './embedder';
export {
  TileBatcher,
  type TileSlice,
  type BatcherStats,
  type BatchRecord,
  type BatchStart,
} from './tile-batcher';
export { EmbeddingCache, type CacheSource } from './embedding-cache';
