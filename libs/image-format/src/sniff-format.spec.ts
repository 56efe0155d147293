import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSupportedFormat, sniffImageFormat } from './sniff-format';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

test('signatures', () => {
  assert.equal(sniffImageFormat(bytes([0xff, 0xd8, 0xff, 0xdb])), 'jpeg');
  assert.equal(sniffImageFormat(bytes([0x89], 'PNG\r\n\x1a\n')), 'png');
  assert.equal(sniffImageFormat(bytes('GIF89a')), 'gif');
  assert.equal(sniffImageFormat(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'webp');
  assert.equal(sniffImageFormat(bytes('II*\0')), 'tiff');
  assert.equal(sniffImageFormat(bytes('MM\0*')), 'tiff');
  assert.equal(sniffImageFormat(bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'avifmif1miaf')), 'avif');
  assert.equal(sniffImageFormat(bytes([0, 0, 0, 0x18], 'ftypmif1', [0, 0, 0, 0], 'mif1avif')), 'avif');
  assert.equal(sniffImageFormat(bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic')), 'heif');
  assert.equal(sniffImageFormat(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')), 'svg');
  assert.equal(sniffImageFormat(bytes('\n <?xml version="1.0"?><!DOCTYPE svg><svg>')), 'svg');
  assert.equal(sniffImageFormat(bytes('<html></html>')), 'xml');
  assert.equal(sniffImageFormat(bytes('hello')), undefined);
  assert.equal(sniffImageFormat(new Uint8Array(0)), undefined);
});

test('supported formats', () => {
  assert.ok(isSupportedFormat('jpeg'));
  assert.ok(isSupportedFormat('avif'));
  assert.ok(!isSupportedFormat('heif'));
  assert.ok(!isSupportedFormat('svg'));
  assert.ok(!isSupportedFormat(undefined));
});
