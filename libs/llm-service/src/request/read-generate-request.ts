import {
  floatTypeFromWire,
  GENERATE_REQUEST_STREAM,
  type GenerateHeader,
  type GenerateRequest,
} from '@internvl/contracts';
import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import { BYTES_PER_ELEMENT, floatView, type FloatArray, type FloatType } from '@internvl/float-formats';
import { ChunkAssembler, readChunkedStream } from '@internvl/service-kit';

/** One image's embeddings as received: `numTiles * 256` rows of the LLM's width. */
export interface ReceivedImage {
  numTiles: number;
  embeds: FloatArray;
}

/** What the embeddings of a request must look like for the loaded model. */
export interface EmbeddingLimits {
  hiddenSize: number;
  tokensPerTile: number;
  maxContextTokens: number;
}

/** Checks every ImageEmbedding's spec before a byte is accepted; returns each one's type and size. */
function checkImages(header: GenerateHeader, limits: EmbeddingLimits): { type: FloatType; bytes: number }[] {
  const { hiddenSize: D, tokensPerTile } = limits;
  let rows = 0;
  const specs = header.images.map((image, i) => {
    const field = `images[${i}]`;
    if (!Number.isInteger(image.numTiles) || image.numTiles < 1)
      throw new InvalidArgumentError(`${field}.num_tiles is ${image.numTiles}; it must be ≥ 1`);
    const spec = image.embeddings;
    if (!spec) throw new InvalidArgumentError(`${field}.embeddings is missing`);
    const type = floatTypeFromWire(spec.dtype, `${field}.embeddings.dtype`);
    const expected = [image.numTiles * tokensPerTile, D];
    const shape = spec.shape.map(Number);
    if (shape.join() !== expected.join()) {
      throw new InvalidArgumentError(
        `${field}.embeddings.shape is [${shape.join(', ')}]; ${image.numTiles} tiles of this model need [${expected.join(', ')}]`,
      );
    }
    const bytes = expected[0]! * D * BYTES_PER_ELEMENT[type];
    if (Number(spec.byteLength) !== bytes) {
      throw new InvalidArgumentError(
        `${field}.embeddings.byte_length is ${spec.byteLength}; [${expected.join(', ')}] of ${type} is ${bytes} bytes`,
      );
    }
    rows += expected[0]!;
    return { type, bytes };
  });
  // Checked before buffering so an oversized request costs nothing.
  if (rows >= limits.maxContextTokens) {
    throw new OutOfRangeError(
      `the images alone are ${rows} tokens, and the model's context is ${limits.maxContextTokens} tokens; send fewer images or tiles`,
    );
  }
  return specs;
}

/**
 * Reads a Generate request stream: the header, then the embedding bytes of every image in header
 * order, split back into one array per image.
 */
export async function readGenerateRequest(
  requests: AsyncIterable<GenerateRequest>,
  limits: EmbeddingLimits,
): Promise<{ header: GenerateHeader; images: ReceivedImage[] }> {
  let specs: { type: FloatType; bytes: number }[] = [];
  const { header, payload } = await readChunkedStream(requests, GENERATE_REQUEST_STREAM, (h) => {
    specs = checkImages(h, limits);
    const total = specs.reduce((n, s) => n + s.bytes, 0);
    return total === 0 ? undefined : new ChunkAssembler(total, 'image embeddings');
  });
  if (!payload) return { header, images: [] };
  let offset = 0;
  const images = header.images.map((image, i) => {
    const { type, bytes: n } = specs[i]!;
    const embeds = floatView(payload.subarray(offset, offset + n), type);
    offset += n;
    return { numTiles: image.numTiles, embeds };
  });
  return { header, images };
}
