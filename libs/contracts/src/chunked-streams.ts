/**
 * The header-then-chunks streams of the tiers (see the `oneof kind` messages in proto/): which
 * case carries the header and which the bytes, and their wire names for error messages. Both
 * ends of each stream (handler and client) read and write through these with service-kit's
 * `readChunkedStream` / `writeChunkedStream`.
 */
export const PREPROCESS_REQUEST_STREAM = {
  message: 'PreprocessRequest',
  headerType: 'PreprocessHeader',
  headerCase: 'header',
  chunkCase: 'imageChunk',
  chunkField: 'image_chunk',
} as const;

export const PREPROCESS_RESPONSE_STREAM = {
  message: 'PreprocessResponse',
  headerType: 'PreprocessResult',
  headerCase: 'result',
  chunkCase: 'pixelChunk',
  chunkField: 'pixel_chunk',
} as const;

export const EMBED_REQUEST_STREAM = {
  message: 'EmbedRequest',
  headerType: 'EmbedHeader',
  headerCase: 'header',
  chunkCase: 'pixelChunk',
  chunkField: 'pixel_chunk',
} as const;

export const EMBED_RESPONSE_STREAM = {
  message: 'EmbedResponse',
  headerType: 'EmbedResult',
  headerCase: 'result',
  chunkCase: 'embeddingChunk',
  chunkField: 'embedding_chunk',
} as const;

export const GENERATE_REQUEST_STREAM = {
  message: 'GenerateRequest',
  headerType: 'GenerateHeader',
  headerCase: 'header',
  chunkCase: 'embeddingChunk',
  chunkField: 'embedding_chunk',
} as const;
