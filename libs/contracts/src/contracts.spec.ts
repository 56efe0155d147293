import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ElementType, EmbedRequest, PROTO_FILES, PROTO_ROOT, StreamChatResponse } from './index';

test('every listed proto file exists under PROTO_ROOT', () => {
  for (const file of PROTO_FILES) assert.ok(existsSync(join(PROTO_ROOT, file)), file);
});

test('oneof messages round-trip through the wire format with raw tensor bytes intact', () => {
  const bytes = Buffer.from([0, 60, 0, 188, 255, 127]);
  const header = EmbedRequest.encode({
    kind: {
      $case: 'header',
      value: {
        cacheKey: 'abc',
        outputDtype: ElementType.ELEMENT_TYPE_FLOAT16,
        pixelValues: {
          dtype: ElementType.ELEMENT_TYPE_FLOAT32,
          shape: [1, 3, 448, 448],
          byteLength: 2408448,
        },
      },
    },
  }).finish();
  const decoded = EmbedRequest.decode(header);
  assert.equal(decoded.kind?.$case, 'header');
  assert.deepEqual(
    decoded.kind?.$case === 'header' && decoded.kind.value.pixelValues?.shape,
    [1, 3, 448, 448],
  );
  const chunk = EmbedRequest.decode(
    EmbedRequest.encode({ kind: { $case: 'pixelChunk', value: bytes } }).finish(),
  );
  assert.deepEqual(chunk.kind?.$case === 'pixelChunk' && [...chunk.kind.value], [...bytes]);
  const delta = StreamChatResponse.decode(
    StreamChatResponse.encode({
      kind: { $case: 'delta', value: { text: '你好 👋', tokenIds: [1, 32013], logprobs: [], index: 0 } },
    }).finish(),
  );
  assert.deepEqual(delta.kind, {
    $case: 'delta',
    value: { text: '你好 👋', tokenIds: [1, 32013], logprobs: [], index: 0 },
  });
});
