/**
 * Wire contracts of the four services (package internvl.v1). Everything under ./gen is
 * generated from proto/ by `npm run proto:gen`; this file re-exports it, plus the one hand-written
 * mapping of wire float types and a GenerationParams builder with the wire defaults.
 */
export * from './gen/internvl/v1/tensor.pb';
export * from './gen/internvl/v1/generation.pb';
export * from './gen/internvl/v1/preprocess.pb';
export * from './gen/internvl/v1/vision.pb';
export * from './gen/internvl/v1/llm.pb';
export * from './gen/internvl/v1/chat.pb';
export { PROTO_ROOT, PROTO_FILES } from './proto-files';
export { floatTypeFromWire, floatTypeToWire } from './wire-float-type';
export * from './generation-params';
export * from './chunked-streams';
export { imageCacheKey, resolveImageKeyOptions, type ImageKeyOptions } from './image-cache-key';
