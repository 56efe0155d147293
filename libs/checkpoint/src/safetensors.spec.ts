import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFormatError, UnsupportedDtypeError } from './checkpoint-errors';
import { SafetensorsFile } from './safetensors-file';
import { writeSafetensors, writeSafetensorsStreamed } from './safetensors-writer';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file with a hand-written header (for dtypes and corruptions the writer never produces). */
function rawFile(name: string, header: unknown, data: Uint8Array, headerLenOverride?: number): string {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerLenOverride ?? json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([prefix, json, data]));
  return path;
}

describe('writeSafetensors / SafetensorsFile', () => {
  it('round-trips F32 exactly and F16/BF16 as the rounded values, with metadata', () => {
    const data = Float32Array.from([1, -2.5, 1 / 3, 65504, 1e-7, 0.1]);
    const path = join(dir, 'roundtrip.safetensors');
    writeSafetensors(
      path,
      [
        { name: 'x.f32', dtype: 'F32', shape: [2, 3], data },
        { name: 'x.f16', dtype: 'F16', shape: [6], data },
        { name: 'x.bf16', dtype: 'BF16', shape: [3, 2], data },
      ],
      { format: 'pt' },
    );
    const f = SafetensorsFile.open(path);
    assert.deepEqual(f.metadata, { format: 'pt' });
    assert.deepEqual(
      f.names(),
      ['x.f32', 'x.bf16', 'x.f16'],
      'reference layout: wider dtypes first, then by name',
    );
    assert.deepEqual(f.readFloat32('x.f32'), data);
    assert.deepEqual(
      Array.from(f.readFloat32('x.f16')),
      [1, -2.5, 0.333251953125, 65504, 1.1920928955078125e-7, 0.0999755859375],
    );
    assert.deepEqual(
      Array.from(f.readFloat32('x.bf16')),
      [1, -2.5, 0.333984375, 65536, 1.0011717677116394e-7, 0.10009765625],
    );
    assert.deepEqual(f.entries.get('x.bf16')?.shape, [3, 2]);
    f.close();
  });

  it('writes the reference byte layout: 8-byte LE length, space-padded JSON, aligned data', () => {
    const path = join(dir, 'layout.safetensors');
    writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) }]);
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    assert.equal(headerLen % 8, 0);
    const header = bytes.subarray(8, 8 + headerLen).toString('utf8');
    assert.equal(header, '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' + ' '.repeat(2));
    assert.deepEqual([...bytes.subarray(8 + headerLen)], [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
  });

  it('streams tensors chunk by chunk in bounded memory', () => {
    const path = join(dir, 'streamed.safetensors');
    const seen: string[] = [];
    writeSafetensorsStreamed(
      path,
      [
        {
          name: 'ramp',
          dtype: 'BF16',
          shape: [1000, 3],
          fill: (out, start) => out.forEach((_, i) => (out[i] = start + i)),
        },
      ],
      undefined,
      { chunkElements: 7, onTensor: (name) => seen.push(name) },
    );
    const values = SafetensorsFile.open(path).readFloat32('ramp');
    assert.equal(values[255], 255);
    assert.equal(values[257], 256, 'bf16 has 8 significant bits: 257 rounds to even 256');
    assert.deepEqual(seen, ['ramp']);
  });

  it('rejects names, shapes and dtypes it cannot write', () => {
    const p = join(dir, 'bad.safetensors');
    const data = new Float32Array(2);
    assert.throws(
      () => writeSafetensors(p, [{ name: 'a', dtype: 'F32', shape: [3], data }]),
      /2 values for shape \[3\]/,
    );
    assert.throws(
      () => writeSafetensors(p, [{ name: 'a', dtype: 'I8' as 'F32', shape: [2], data }]),
      /dtype I8 cannot be written/,
    );
    assert.throws(
      () =>
        writeSafetensors(p, [
          { name: 'a', dtype: 'F32', shape: [2], data },
          { name: 'a', dtype: 'F32', shape: [2], data },
        ]),
      /listed twice/,
    );
  });

  it('reads integer tensors exactly and refuses values float32 cannot hold', () => {
    const ints = new BigInt64Array([0n, -5n, 16777216n]);
    const path = rawFile(
      'ints.safetensors',
      { ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } },
      new Uint8Array(ints.buffer),
    );
    assert.deepEqual(Array.from(SafetensorsFile.open(path).readFloat32('ids')), [0, -5, 16777216]);
    const big = new BigInt64Array([16777217n]);
    const bad = rawFile(
      'bigint.safetensors',
      { ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
      new Uint8Array(big.buffer),
    );
    assert.throws(() => SafetensorsFile.open(bad).readFloat32('ids'), UnsupportedDtypeError);
    const f8 = rawFile(
      'f8.safetensors',
      { q: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } },
      new Uint8Array(2),
    );
    assert.throws(
      () => SafetensorsFile.open(f8).readFloat32('q'),
      /F8_E4M3.*re-save the checkpoint in BF16, F16 or F32/,
    );
    assert.equal(SafetensorsFile.open(f8).readBytes('q').length, 2);
  });

  it('reports corrupt files with the path and what is wrong', () => {
    const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, () => string, RegExp][] = [
      [
        'too short',
        () => {
          const p = join(dir, 'short.safetensors');
          writeFileSync(p, Buffer.alloc(5));
          return p;
        },
        /only 5 bytes/,
      ],
      [
        'length past EOF',
        () => rawFile('len.safetensors', ok, new Uint8Array(8), 1 << 20),
        /claims 1048576 bytes/,
      ],
      ['not JSON', () => rawFile('json.safetensors', ok, new Uint8Array(8), 3), /not UTF-8 JSON/],
      ['truncated data', () => rawFile('trunc.safetensors', ok, new Uint8Array(4)), /truncated or padded/],
      [
        'bad dtype',
        () =>
          rawFile(
            'dtype.safetensors',
            { w: { dtype: 'F17', shape: [2], data_offsets: [0, 8] } },
            new Uint8Array(8),
          ),
        /unknown dtype "F17"/,
      ],
      [
        'size mismatch',
        () =>
          rawFile(
            'size.safetensors',
            { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
            new Uint8Array(8),
          ),
        /needs 12/,
      ],
      [
        'gap',
        () =>
          rawFile(
            'gap.safetensors',
            { w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
            new Uint8Array(8),
          ),
        /gap or overlap/,
      ],
    ];
    for (const [what, make, message] of cases) {
      const path = make();
      assert.throws(
        () => SafetensorsFile.open(path),
        (e) => e instanceof SafetensorsFormatError && message.test(e.message) && e.message.includes(path),
        what,
      );
    }
  });
});
