import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ChunkAssembler, chunkBytes, CHUNK_BYTES } from './chunks';
import { channelTarget } from './client';

test('chunkBytes splits into 1 MiB views that reassemble exactly', () => {
  const bytes = new Uint8Array(CHUNK_BYTES * 2 + 5).map((_, i) => i % 251);
  const chunks = [...chunkBytes(bytes)];
  assert.deepEqual(
    chunks.map((c) => c.length),
    [CHUNK_BYTES, CHUNK_BYTES, 5],
  );
  const assembler = new ChunkAssembler(bytes.length, 'pixel_values');
  for (const c of chunks) assembler.push(c);
  assert.deepEqual(new Uint8Array(assembler.finish()), bytes);
  assert.equal([...chunkBytes(new Uint8Array(0))].length, 0);
});

test('ChunkAssembler rejects overflow, underflow and over-limit declarations with clear messages', () => {
  const a = new ChunkAssembler(4, 'pixel_values');
  assert.throws(() => a.push(new Uint8Array(5)), /pixel_values: received more than the declared 4 bytes/);
  const b = new ChunkAssembler(4, 'image');
  b.push(new Uint8Array(3));
  assert.throws(() => b.finish(), /image: stream ended after 3 of the declared 4 bytes/);
  assert.throws(
    () => new ChunkAssembler(10, 'image', 8, '--max-image-bytes'),
    /image is 10 bytes, over the limit of 8 bytes; raise it with --max-image-bytes/,
  );
  assert.throws(() => new ChunkAssembler(-1, 'image'), /not a non-negative integer/);
});

test('channelTarget: one address resolves by DNS, several IPs balance round-robin, schemes pass through', () => {
  assert.equal(channelTarget(['vision:50052']), 'dns:///vision:50052');
  assert.equal(channelTarget(['dns:///vision.internvl.svc:50052']), 'dns:///vision.internvl.svc:50052');
  assert.equal(channelTarget(['127.0.0.1:1', '127.0.0.1:2']), 'ipv4:127.0.0.1:1,127.0.0.1:2');
  assert.equal(channelTarget(['[::1]:1', '[::1]:2']), 'ipv6:[::1]:1,[::1]:2');
  assert.throws(() => channelTarget(['a:1', 'b:2']), /one DNS name that resolves to every replica/);
  assert.throws(() => channelTarget([]), /no server address/);
});
