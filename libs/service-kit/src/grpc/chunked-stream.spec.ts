import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EMBED_REQUEST_STREAM } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { ChunkAssembler, CHUNK_BYTES } from './chunks';
import { readChunkedStream, writeChunkedStream, type ChunkedMessage } from './chunked-stream';

const SHAPE = EMBED_REQUEST_STREAM;

type Message = ChunkedMessage<'header', { bytes: number }, 'pixelChunk'>;

async function* from(messages: Message[]): AsyncGenerator<Message> {
  yield* messages;
}

const assemble = (h: { bytes: number }) => (h.bytes > 0 ? new ChunkAssembler(h.bytes, 'pixels') : undefined);

test('writeChunkedStream and readChunkedStream round-trip a header and several payloads', async () => {
  const a = new Uint8Array(CHUNK_BYTES + 3).map((_, i) => i % 251);
  const b = new Uint8Array(7).fill(9);
  const written = [...writeChunkedStream(SHAPE, { bytes: a.length + b.length }, [a, b])];
  assert.deepEqual(
    written.map((m) => m.kind?.$case),
    ['header', 'pixelChunk', 'pixelChunk', 'pixelChunk'],
  );
  const { header, payload } = await readChunkedStream(from(written), SHAPE, assemble);
  assert.deepEqual(header, { bytes: a.length + b.length });
  assert.deepEqual(new Uint8Array(payload!), new Uint8Array([...a, ...b]));
});

test('readChunkedStream returns at the header when no payload follows, without reading on', async () => {
  let pulled = 0;
  async function* endless(): AsyncGenerator<Message> {
    yield { kind: { $case: 'header', value: { bytes: 0 } } };
    for (;;) {
      pulled += 1;
      yield { kind: { $case: 'pixelChunk', value: new Uint8Array(1) } };
    }
  }
  const { payload } = await readChunkedStream(endless(), SHAPE, assemble);
  assert.equal(payload, undefined);
  assert.equal(pulled, 0);
});

test('readChunkedStream names the wire fields of each protocol mistake', async () => {
  const header: Message = { kind: { $case: 'header', value: { bytes: 2 } } };
  const chunk: Message = { kind: { $case: 'pixelChunk', value: new Uint8Array(1) } };
  const cases: [Message[], RegExp][] = [
    [[{ kind: undefined }], /^empty EmbedRequest: each message must carry a header or a pixel_chunk$/],
    [[header, header], /^EmbedRequest header sent twice/],
    [[chunk], /^pixel_chunk before the header; send the EmbedHeader first$/],
    [[], /^the stream ended without an EmbedHeader$/],
    [[header, chunk], /stream ended after 1 of the declared 2 bytes/],
  ];
  for (const [messages, message] of cases) {
    await assert.rejects(readChunkedStream(from(messages), SHAPE, assemble), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, message);
      return true;
    });
  }
});
