import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readImageHeader } from './image-header';
import {
  anmf,
  auxC,
  avifBytes,
  clap,
  concat,
  exifApp1,
  exifValues,
  gifBytes,
  imir,
  irot,
  ispe,
  jpegBytes,
  jpegSegment,
  orientationBlock,
  pngBytes,
  pngChunk,
  riff,
  riffChunk,
  tiffBlock,
  tiffBytes,
  vp8,
  vp8l,
  vp8x,
} from './testing/image-bytes';

// Every expectation here was checked against sharp 0.34.5 (libvips 8.17.3) `metadata()`, except
// the two deliberate departures marked below (a placeholder size libvips reports for AVIF sizes
// it cannot represent, and walks over absurdly many markers or chunks, which give up). The
// cross-check spec in @internvl/image-decode compares with sharp itself, on images sharp writes.

const size = (bytes: Uint8Array, autoOrient = false) => {
  const h = readImageHeader(bytes, autoOrient);
  return h === undefined ? undefined : [h.width, h.height];
};

/** Both orientations: as stored, then with autoOrient. */
const both = (bytes: Uint8Array) => [size(bytes), size(bytes, true)];

describe('JPEG', () => {
  test('the SOF frame size', () => {
    assert.deepEqual(both(jpegBytes(3000, 17)), [
      [3000, 17],
      [3000, 17],
    ]);
    assert.deepEqual(size(jpegBytes(1, 1, { components: 1 })), [1, 1]);
    assert.deepEqual(size(jpegBytes(640, 480, { sof: 0xc2 })), [640, 480]); // progressive
    assert.deepEqual(size(jpegBytes(65500, 2)), [65500, 2]);
  });

  test('frames libjpeg refuses', () => {
    assert.equal(size(jpegBytes(65501, 2)), undefined); // over JPEG_MAX_DIMENSION
    assert.equal(size(jpegBytes(0, 2)), undefined); // DNL height is not supported
    assert.equal(size(jpegBytes(5, 5, { sof: 0xc5 })), undefined); // hierarchical
    assert.equal(size(jpegBytes(5, 5, { components: 11 })), undefined);
    const twoSof = jpegBytes(5, 5, { before: [jpegSegment(0xc0, [8, 0, 5, 0, 5, 1, 1, 0x11, 0])] });
    assert.equal(size(twoSof), undefined);
    assert.equal(size(concat([0xff, 0xd8, 0xff, 0xd9])), undefined); // no frame at all
  });

  test('APPn, COM and garbage between markers are skipped', () => {
    const app = [
      jpegSegment(0xe0, concat('JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0])),
      jpegSegment(0xfe, concat('hello')),
    ];
    assert.deepEqual(
      size(jpegBytes(23, 17, { before: [...app, Uint8Array.from([0x00, 0x42, 0xff, 0xff])] })),
      [23, 17],
    );
    // A bogus length (< 2) consumes only the length bytes.
    assert.deepEqual(
      size(jpegBytes(23, 17, { before: [Uint8Array.from([0xff, 0xe5, 0x00, 0x01])] })),
      [23, 17],
    );
  });

  test('EXIF orientation from the first Exif APP1 only', () => {
    for (let o = 1; o <= 8; o++) {
      const bytes = jpegBytes(23, 17, { before: [exifApp1(orientationBlock(o))] });
      assert.deepEqual(both(bytes), [[23, 17], o >= 5 ? [17, 23] : [23, 17]], `orientation ${o}`);
    }
    const first6 = jpegBytes(23, 17, {
      before: [exifApp1(orientationBlock(6)), exifApp1(orientationBlock(1))],
    });
    assert.deepEqual(size(first6, true), [17, 23]);
    const first1 = jpegBytes(23, 17, {
      before: [exifApp1(orientationBlock(1)), exifApp1(orientationBlock(6))],
    });
    assert.deepEqual(size(first1, true), [23, 17]);
    const bigEndian = jpegBytes(23, 17, { before: [exifApp1(orientationBlock(8, false))] });
    assert.deepEqual(size(bigEndian, true), [17, 23]);
  });
});

describe('EXIF orientation entries, as libexif and libvips read them', () => {
  const oriented = (type: number, count: number, values: (number | [number, number])[], le = true) => {
    const block = tiffBlock([{ tag: 0x0112, type, count, value: exifValues(type, values, le) }], { le });
    return size(jpegBytes(23, 17, { before: [exifApp1(block)] }), true)?.[0] === 17;
  };
  test('integer types are converted to SHORT (16 bits kept)', () => {
    assert.ok(oriented(3, 1, [6]));
    assert.ok(oriented(1, 1, [6])); // BYTE
    assert.ok(oriented(8, 1, [6])); // SSHORT
    assert.ok(oriented(4, 1, [6])); // LONG
    assert.ok(oriented(4, 1, [0x10006])); // LONG, truncated to 6
    assert.ok(!oriented(4, 1, [0x10003]));
    assert.ok(oriented(9, 1, [6], false)); // SLONG, big-endian
  });
  test('RATIONALs give their numerator; text-rendered types give nothing', () => {
    assert.ok(oriented(5, 1, [[6, 1]]));
    assert.ok(oriented(10, 1, [[7, 3]]));
    assert.ok(!oriented(2, 1, [6])); // ASCII
    assert.ok(!oriented(7, 1, [6])); // UNDEFINED
    assert.ok(!oriented(11, 1, [6])); // FLOAT
  });
  test('the first component counts, up to 9 components; out-of-range values are 1', () => {
    assert.ok(oriented(3, 2, [6, 1]));
    assert.ok(oriented(3, 9, [5, 1, 1, 1, 1, 1, 1, 1, 1]));
    assert.ok(!oriented(3, 10, [6, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
    assert.ok(!oriented(3, 1, [9]));
    assert.ok(!oriented(3, 1, [0]));
  });
  test('the first readable entry wins; IFD1 does not count', () => {
    const o = (v: number) => ({ tag: 0x0112, type: 3, count: 1, value: exifValues(3, [v]) });
    const firstBroken = tiffBlock([
      { ...o(3), count: 3, value: exifValues(3, [3, 3, 3]), offset: 60_000 },
      o(6),
    ]);
    assert.deepEqual(size(jpegBytes(23, 17, { before: [exifApp1(firstBroken)] }), true), [17, 23]);
    const ifd1Only = tiffBlock([{ tag: 0x011a, type: 5, count: 1, value: exifValues(5, [[72, 1]]) }], {
      ifd1: [o(6)],
    });
    assert.deepEqual(size(jpegBytes(23, 17, { before: [exifApp1(ifd1Only)] }), true), [23, 17]);
  });
});

describe('PNG', () => {
  test('the IHDR size, any depth and colour type', () => {
    assert.deepEqual(size(pngBytes(4000, 3000)), [4000, 3000]);
    assert.deepEqual(size(pngBytes(1, 1, [], { depth: 16, colour: 6 })), [1, 1]);
    assert.deepEqual(
      size(pngBytes(3, 5, [pngChunk('PLTE', [0, 0, 0, 9, 9, 9])], { depth: 1, colour: 3 })),
      [3, 5],
    );
  });
  test('headers libspng refuses', () => {
    assert.equal(size(pngBytes(3, 5, [], { depth: 1, colour: 3 })), undefined); // palette without PLTE
    assert.equal(size(pngBytes(3, 5, [], { depth: 3 })), undefined);
    assert.equal(size(pngBytes(100_000_001, 5)), undefined); // over VIPS_MAX_COORD
    assert.equal(size(pngBytes(3, 5, [pngChunk('ABCD')])), undefined); // unknown critical chunk
    assert.equal(
      size(pngBytes(3, 5, [pngChunk('tRNS', [0, 0, 0, 0, 0, 0]), pngChunk('PLTE', [0, 0, 0])])),
      undefined,
    );
    const badCrc = pngBytes(3, 5);
    badCrc[32] ^= 1; // IHDR CRC
    assert.equal(size(badCrc), undefined);
    assert.deepEqual(size(pngBytes(3, 5, [pngChunk('abCD', [1])])), [3, 5]); // unknown ancillary: skipped
  });
  test('orientation from the first non-empty eXIf before IDAT, when its CRC is right', () => {
    const exif = (o: number) => pngChunk('eXIf', orientationBlock(o));
    assert.deepEqual(both(pngBytes(23, 17, [exif(6)])), [
      [23, 17],
      [17, 23],
    ]);
    assert.deepEqual(size(pngBytes(23, 17, [exif(3), exif(6)]), true), [23, 17]);
    assert.deepEqual(size(pngBytes(23, 17, [pngChunk('eXIf'), exif(6)]), true), [17, 23]);
    assert.deepEqual(
      size(pngBytes(23, 17, [pngChunk('eXIf', concat('Exif\0\0', orientationBlock(6)))]), true),
      [23, 17],
    );
    const corrupt = exif(6);
    corrupt[corrupt.length - 1] ^= 1;
    assert.deepEqual(size(pngBytes(23, 17, [corrupt]), true), [23, 17]);
  });
});

describe('GIF', () => {
  test('the logical screen, grown by the first frame only', () => {
    assert.deepEqual(size(gifBytes(10, 10, [{ x: 5, y: 7, w: 20, h: 30 }])), [25, 37]);
    assert.deepEqual(
      size(
        gifBytes(10, 10, [
          { x: 0, y: 0, w: 4, h: 4 },
          { x: 50, y: 60, w: 100, h: 100 },
        ]),
      ),
      [10, 10],
    );
  });
  test("libnsgif's broken-screen sizes start from 1x1", () => {
    for (const [w, h] of [
      [640, 480],
      [800, 600],
      [1024, 768],
      [0, 5],
      [2049, 10],
    ]) {
      assert.deepEqual(size(gifBytes(w, h, [{ x: 0, y: 0, w: 4, h: 3 }])), [4, 3], `${w}x${h}`);
    }
    assert.deepEqual(size(gifBytes(640, 480, [{ x: 0, y: 0, w: 640, h: 480 }])), [640, 480]);
  });
  test('the whole file must scan', () => {
    const frame = { x: 0, y: 0, w: 10, h: 10 };
    assert.deepEqual(size(gifBytes(10, 10, [frame], { trailer: false })), [10, 10]); // truncated after a frame
    assert.equal(
      size(gifBytes(10, 10, [frame], { trailer: false, after: new Array(20).fill(7) })),
      undefined,
    );
    assert.equal(size(gifBytes(10, 10, [])), undefined); // no frame
    assert.equal(size(gifBytes(10, 10, [{ ...frame, data: [12, 1, 0, 0] }])), undefined); // LZW code size
  });
  test('GIF has no orientation', () => {
    assert.deepEqual(size(gifBytes(10, 20, [{ x: 0, y: 0, w: 10, h: 20 }]), true), [10, 20]);
  });
});

describe('WebP', () => {
  test('VP8 and VP8L frame sizes; the VP8X canvas', () => {
    assert.deepEqual(size(riff(vp8(23, 17))), [23, 17]);
    assert.deepEqual(size(riff(vp8l(16383, 1))), [16383, 1]);
    assert.deepEqual(size(riff(vp8x(0, 23, 17), vp8l(23, 17))), [23, 17]);
    assert.equal(size(riff(vp8x(0, 30, 17), vp8l(23, 17))), undefined); // a still must fill the canvas
  });
  test('animations: the canvas, with every frame inside it', () => {
    const anim = riffChunk('ANIM', [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(
      size(riff(vp8x(2, 40, 30), anim, anmf(0, 0, vp8l(23, 17), 23, 17), anmf(10, 10, vp8l(23, 17), 23, 17))),
      [40, 30],
    );
    assert.equal(size(riff(vp8x(2, 30, 20), anim, anmf(10, 10, vp8l(23, 17), 23, 17))), undefined);
    assert.equal(size(riff(vp8x(2, 16384, 30), anim, anmf(0, 0, vp8l(23, 17), 23, 17))), undefined);
  });
  test('orientation from the EXIF chunk when VP8X flags it', () => {
    const exif = riffChunk('EXIF', orientationBlock(6));
    assert.deepEqual(both(riff(vp8x(8, 23, 17), vp8l(23, 17), exif)), [
      [23, 17],
      [17, 23],
    ]);
    assert.deepEqual(size(riff(vp8x(0, 23, 17), vp8l(23, 17), exif), true), [23, 17]);
    assert.deepEqual(
      size(
        riff(vp8x(8, 23, 17), riffChunk('EXIF', concat('Exif\0\0', orientationBlock(7))), vp8(23, 17)),
        true,
      ),
      [17, 23],
    );
  });
  test('truncated or padded RIFF data is refused', () => {
    const whole = riff(vp8l(23, 17));
    assert.equal(size(whole.subarray(0, whole.length - 1)), undefined);
    assert.equal(size(riff(vp8l(23, 17), Uint8Array.from([0, 0, 0, 0, 0]))), undefined);
    assert.deepEqual(size(concat(whole, [1, 2, 3])), [23, 17]); // after the RIFF chunk: ignored
  });
});

describe('TIFF', () => {
  const orientation = (v: number, type = 3) => ({
    tag: 0x0112,
    type,
    count: 1,
    value: exifValues(type, [v]),
  });
  test('IFD0 ImageWidth and ImageLength, both byte orders', () => {
    assert.deepEqual(size(tiffBytes(31, 17)), [31, 17]);
    assert.deepEqual(size(tiffBytes(31, 17, [], false)), [31, 17]);
  });
  test('the Orientation tag (1..8, anything else is ignored)', () => {
    assert.deepEqual(both(tiffBytes(31, 17, [orientation(6)])), [
      [31, 17],
      [17, 31],
    ]);
    assert.deepEqual(size(tiffBytes(31, 17, [orientation(9)]), true), [31, 17]);
    assert.deepEqual(size(tiffBytes(31, 17, [orientation(5, 4)]), true), [17, 31]); // LONG
  });
  test('directories libtiff or libvips refuse', () => {
    const noPhotometric = Uint8Array.from(tiffBytes(31, 17));
    const at = noPhotometric.findIndex(
      (_, i) => noPhotometric[i] === 6 && noPhotometric[i + 1] === 1 && noPhotometric[i + 2] === 3,
    );
    assert.ok(at > 0);
    noPhotometric[at] = 7; // tag 262 -> 263 (Threshholding)
    assert.equal(size(noPhotometric), undefined);
    assert.equal(size(concat('II', [42, 0], [8, 0, 0, 0], [0, 0])), undefined); // empty IFD
  });
});

describe('AVIF', () => {
  const image = (
    id: number,
    props: Uint8Array[],
    extra: Partial<Parameters<typeof avifBytes>[0][number]> = {},
  ) => ({ id, props, ...extra });
  test('the ispe size; irot 90/270 swaps it, imir does not', () => {
    assert.deepEqual(size(avifBytes([image(1, [ispe(23, 17)])], 1)), [23, 17]);
    for (let angle = 0; angle < 4; angle++) {
      const expected = angle % 2 ? [17, 23] : [23, 17];
      assert.deepEqual(both(avifBytes([image(1, [ispe(23, 17), irot(angle)])], 1)), [expected, expected]);
    }
    assert.deepEqual(size(avifBytes([image(1, [ispe(23, 17), imir(1)])], 1)), [23, 17]);
  });
  test('clap crops, in property order with irot', () => {
    assert.deepEqual(size(avifBytes([image(1, [ispe(23, 17), clap(23, 2, 17, 2)])], 1)), [12, 9]);
    assert.deepEqual(size(avifBytes([image(1, [ispe(23, 17), clap(11, 1, 9, 1), irot(1)])], 1)), [9, 11]);
    assert.deepEqual(size(avifBytes([image(1, [ispe(23, 17), irot(1), clap(11, 1, 9, 1)])], 1)), [11, 9]);
  });
  test('page 0: the first top-level image, not hidden, thumbnail or auxiliary', () => {
    assert.deepEqual(size(avifBytes([image(1, [ispe(40, 30)]), image(2, [ispe(23, 17)])], 2)), [40, 30]);
    assert.deepEqual(
      size(avifBytes([image(1, [ispe(40, 30)], { hidden: true }), image(2, [ispe(23, 17)])], 2)),
      [23, 17],
    );
    const thumb = avifBytes([image(1, [ispe(8, 6)]), image(2, [ispe(23, 17)])], 2, {
      refs: [{ type: 'thmb', from: 1, to: [2] }],
    });
    assert.deepEqual(size(thumb), [23, 17]);
    const alpha = avifBytes([image(1, [ispe(23, 17), auxC]), image(2, [ispe(23, 17), irot(1)])], 2, {
      refs: [{ type: 'auxl', from: 1, to: [2] }],
    });
    assert.deepEqual(size(alpha), [17, 23]);
  });
  test('files libheif or libvips refuse', () => {
    assert.equal(size(avifBytes([image(1, [])], 1)), undefined); // no ispe
    assert.equal(size(avifBytes([image(1, [ispe(23, 17)], { hidden: true })], 1)), undefined);
    assert.equal(
      size(avifBytes([image(1, [ispe(23, 17)])], 1, { major: 'avis', brands: ['avis', 'avif'] })),
      undefined,
    );
    assert.equal(size(avifBytes([image(1, [ispe(23, 17)])], 1, { brands: ['miaf'] })), undefined);
    const noAuxC = avifBytes([image(1, [ispe(23, 17)]), image(2, [ispe(23, 17)])], 2, {
      refs: [{ type: 'auxl', from: 1, to: [2] }],
    });
    assert.equal(size(noAuxC), undefined);
  });
  test('what this reader does not follow is unknown', () => {
    const grid = avifBytes(
      [{ id: 1, type: 'grid', props: [ispe(46, 17)] }, image(2, [ispe(23, 17)], { hidden: true })],
      1,
      {
        refs: [{ type: 'dimg', from: 1, to: [2] }],
      },
    );
    assert.equal(size(grid), undefined);
    assert.equal(size(avifBytes([image(1, [ispe(200_000_000, 17)])], 1)), undefined); // libvips reports a placeholder 1
  });
});

describe('unreadable input', () => {
  const samples: [string, Uint8Array][] = [
    ['jpeg', jpegBytes(23, 17, { before: [exifApp1(orientationBlock(6))] })],
    ['png', pngBytes(23, 17, [pngChunk('eXIf', orientationBlock(6))])],
    [
      'gif',
      gifBytes(10, 10, [
        { x: 0, y: 0, w: 12, h: 10 },
        { x: 0, y: 0, w: 10, h: 10 },
      ]),
    ],
    ['webp', riff(vp8x(8, 23, 17), vp8l(23, 17), riffChunk('EXIF', orientationBlock(6)))],
    ['tiff', tiffBytes(5, 3, [{ tag: 0x0112, type: 3, count: 1, value: exifValues(3, [6]) }])],
    ['avif', avifBytes([{ id: 1, props: [ispe(23, 17), irot(1)] }], 1)],
  ];

  test('every prefix of a small file gives undefined or the whole file’s answer, never throws', () => {
    for (const [name, bytes] of samples) {
      for (const autoOrient of [false, true]) {
        const whole = readImageHeader(bytes, autoOrient);
        assert.ok(whole !== undefined, name);
        for (let n = 0; n < bytes.length; n++) {
          const h = readImageHeader(bytes.subarray(0, n), autoOrient);
          if (h !== undefined) assert.deepEqual(h, whole, `${name} prefix ${n}`);
        }
      }
    }
  });

  test('corrupted bytes never throw and give sane sizes', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x80000000);
    for (const [name, bytes] of samples) {
      for (let i = 0; i < 400; i++) {
        const copy = Uint8Array.from(bytes);
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++)
          copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
        const h = readImageHeader(copy, random() < 0.5);
        if (h !== undefined) {
          assert.ok(Number.isSafeInteger(h.width) && h.width > 0, `${name} #${i}`);
          assert.ok(Number.isSafeInteger(h.height) && h.height > 0, `${name} #${i}`);
        }
      }
    }
  });

  test('lengths pointing far past the data end the read quickly', () => {
    const hugeApp = concat([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff], new Uint8Array(100));
    assert.equal(readImageHeader(hugeApp), undefined);
    const hugeChunk = concat(
      pngBytes(3, 3).subarray(0, 33),
      [0x7f, 0xff, 0xff, 0xff],
      'tEXt',
      new Uint8Array(50),
    );
    assert.equal(readImageHeader(hugeChunk), undefined);
    const hugeBox = concat(
      avifBytes([{ id: 1, props: [ispe(2, 2)] }], 1).subarray(0, 28),
      [0xff, 0xff, 0xff, 0xff],
      'meta',
      new Uint8Array(40),
    );
    assert.equal(readImageHeader(hugeBox), undefined);
    const manyMarkers = concat([0xff, 0xd8], new Uint8Array(200_000).fill(0xff));
    assert.equal(readImageHeader(manyMarkers), undefined);
  });

  test('walks over absurdly many markers, chunks or boxes give up (libvips would read on)', () => {
    const app5 = new Uint8Array(4 * 200_000);
    for (let at = 0; at < app5.length; at += 4) app5.set([0xff, 0xe5, 0, 2], at);
    assert.equal(readImageHeader(concat([0xff, 0xd8], app5, jpegBytes(2, 2).subarray(2))), undefined);
    const chunks = Array.from({ length: 110_000 }, () => pngChunk('abCD'));
    assert.equal(readImageHeader(pngBytes(2, 2, chunks)), undefined);
    assert.deepEqual(size(pngBytes(2, 2, chunks.slice(0, 1000))), [2, 2]);
  });

  test('not an image, or not a supported one', () => {
    assert.equal(readImageHeader(new Uint8Array(0)), undefined);
    assert.equal(
      readImageHeader(concat('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')),
      undefined,
    );
    assert.equal(readImageHeader(concat('BM', new Uint8Array(60))), undefined);
    assert.equal(
      readImageHeader(concat([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic', new Uint8Array(40))),
      undefined,
    );
  });
});
