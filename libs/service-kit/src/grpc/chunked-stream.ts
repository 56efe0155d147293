import { InvalidArgumentError } from '@internvl/errors';
import { chunkBytes, type ChunkAssembler } from './chunks';

/**
 * A message of a header-then-chunks stream: a oneof whose header case carries `H` and whose
 * chunk case carries bytes (ts-proto's `kind: { $case, value }`).
 */
export interface ChunkedMessage<HC extends string, H, CC extends string, B extends Uint8Array = Uint8Array> {
  kind: { $case: HC; value: H } | { $case: CC; value: B } | undefined;
}

/** Names of one stream's cases, for building and for error messages that name the wire fields. */
export interface ChunkedStreamShape<HC extends string, CC extends string> {
  /** The message type, e.g. 'EmbedRequest'. */
  message: string;
  /** The header's message type, e.g. 'EmbedHeader'. */
  headerType: string;
  headerCase: HC;
  chunkCase: CC;
  /** The chunk field as the proto spells it, e.g. 'pixel_chunk'. */
  chunkField: string;
}

/**
 * Writes a header, then each payload in order as ≤ 1 MiB chunk messages (views, no copies).
 * Every hop of the stack streams big tensors this way (grpc-js is ~2× faster on 1 MiB
 * messages than on one big one, and stays under the message limit).
 */
export function* writeChunkedStream<HC extends string, H, CC extends string>(
  shape: ChunkedStreamShape<HC, CC>,
  header: H,
  payloads: Iterable<Uint8Array>,
): Generator<ChunkedMessage<HC, H, CC, Buffer>> {
  yield { kind: { $case: shape.headerCase, value: header } };
  for (const payload of payloads) {
    for (const chunk of chunkBytes(payload)) yield { kind: { $case: shape.chunkCase, value: chunk } };
  }
}

/**
 * Reads a header-then-chunks stream. `onHeader` validates the header and returns the assembler
 * for the payload it announces, or `undefined` when no payload follows (a cache probe, a
 * prompt without images): then the read ends at once, without waiting for the peer to close
 * its side. Protocol mistakes (no header, two headers, a chunk first, a short stream) are
 * InvalidArgumentErrors naming the wire fields.
 */
export async function readChunkedStream<HC extends string, H, CC extends string>(
  messages: AsyncIterable<ChunkedMessage<HC, H, CC>>,
  shape: ChunkedStreamShape<HC, CC>,
  onHeader: (header: H) => ChunkAssembler | undefined,
): Promise<{ header: H; payload: Buffer | undefined }> {
  let header: H | undefined;
  let assembler: ChunkAssembler | undefined;
  for await (const message of messages) {
    const kind = message.kind;
    if (!kind)
      throw new InvalidArgumentError(
        `empty ${shape.message}: each message must carry a header or a ${shape.chunkField}`,
      );
    if (kind.$case === shape.headerCase) {
      if (header !== undefined)
        throw new InvalidArgumentError(`${shape.message} header sent twice; send it once, first`);
      header = kind.value as H;
      assembler = onHeader(header);
      if (!assembler) return { header, payload: undefined };
    } else {
      if (!assembler)
        throw new InvalidArgumentError(
          `${shape.chunkField} before the header; send the ${shape.headerType} first`,
        );
      assembler.push(kind.value as Uint8Array);
    }
  }
  if (header === undefined || !assembler) {
    const article = /^[AEIOU]/.test(shape.headerType) ? 'an' : 'a';
    throw new InvalidArgumentError(`the stream ended without ${article} ${shape.headerType}`);
  }
  return { header, payload: assembler.finish() };
}
