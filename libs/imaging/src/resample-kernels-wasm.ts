import { HALF, PRECISION_BITS, type ResampleCoefficients } from './resample-coefficients';
import { I32, op, V128, type Bytes, WasmFunction } from './wasm-encoder';

/**
 * WebAssembly SIMD kernels for the two passes of Pillow's 8-bit resampling. They compute exactly
 * Pillow's integer sums (`Resample.c`): `HALF + sum(pixel * weight)` with weights in fixed point
 * (22 fractional bits), then `>> 22` and a saturating narrow to u8 (= Pillow's clip8 for every
 * reachable sum).
 *
 * To use `i32x4.dot_i16x8_s` (8 multiplies per instruction, much cheaper than `i32x4.mul`), each
 * weight is split as `w = hi * 2^11 + lo` with `lo` in [0, 2048): both halves fit in i16, and
 * `sum(p * w) = (sum(p * hi) << 11) + sum(p * lo)` exactly. Taps are processed in pairs
 * `(t, t + 1)`: a pair table entry holds `hi_t | hi_t+1 << 16` and `lo_t | lo_t+1 << 16`; an odd
 * tap count is padded with a zero-weight tap.
 *
 * Memory layouts (byte offsets into the module's memory):
 * - an RGB image or strip is rows of `width * 3` bytes at `stride`;
 * - an interleaved strip packs 4 rows per group, widened to u16: for each column x, 12 u16
 *   `R0 G0 B0 R1 G1 B1 R2 G2 B2 R3 G3 B3` (24 bytes);
 * - `bounds` holds `[start, pairs]` i32 per output position; `pairTable` holds `pairStride`
 *   bytes per output position.
 * Kernels may read up to 48 bytes past the last byte they use (padding taps read one extra
 * column or row, with weight zero) and write up to 16 bytes past the last byte they produce.
 * Callers allocate that slack.
 */

/** Bits of the low weight half. */
export const WEIGHT_SPLIT_BITS = 11;

/** Packs 4 bytes per lane `RGBx` (from 32-bit loads) into 12 contiguous bytes. */
const PACK_RGB_X4 = [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0];
/** Spreads 12 contiguous bytes into 4 lanes of `RGB?` for 32-bit lane stores. */
const SPREAD_RGB_X4 = [0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0];
/** Interleaves the low (resp. high) four u16 lanes of two vectors: `a0 b0 a1 b1 ...`. */
const ZIP_LOW_16 = [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23];
const ZIP_HIGH_16 = [8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31];

/** `acc = acc + dot(v, w)` for local names. */
function dotAdd(f: WasmFunction, acc: string, v: string, w: string): void {
  f.emit(f.get(acc), f.get(v), f.get(w), op.i32x4DotI16x8S(), op.i32x4Add(), f.set(acc));
}

/** Pushes `(((hi << 11) + lo + HALF) >> 22)` for two accumulator locals. */
function combined(f: WasmFunction, hi: string, lo: string): Bytes[] {
  return [
    f.get(hi),
    op.i32Const(WEIGHT_SPLIT_BITS),
    op.i32x4Shl(),
    f.get(lo),
    op.i32x4Add(),
    f.get('half'),
    op.i32x4Add(),
    op.i32Const(PRECISION_BITS),
    op.i32x4ShrS(),
  ];
}

/**
 * interleave4(src, srcStride, width, rows, dst): packs `rows` RGB rows into 4-row u16 groups
 * (`ceil(rows / 4) * width * 24` bytes). A missing last row of a group repeats the last row.
 */
export function interleave4(): WasmFunction {
  const f = new WasmFunction('interleave4', [
    ['src', I32],
    ['srcStride', I32],
    ['width', I32],
    ['rows', I32],
    ['dst', I32],
  ]);
  f.locals(I32, 'g', 'p0', 'p1', 'p2', 'p3', 'x').locals(V128, 'v');
  // Row pointer of row min(g + k, rows - 1).
  const rowPtr = (k: number): Bytes[] => [
    f.get('src'),
    f.get('g'),
    op.i32Const(k),
    op.i32Add(),
    f.get('rows'),
    op.i32Const(1),
    op.i32Sub(),
    f.get('g'),
    op.i32Const(k),
    op.i32Add(),
    f.get('rows'),
    op.i32LtS(),
    op.select(),
    f.get('srcStride'),
    op.i32Mul(),
    op.i32Add(),
  ];
  f.emit(op.loop()); // groups
  f.emit(...rowPtr(0), f.set('p0'), ...rowPtr(1), f.set('p1'), ...rowPtr(2), f.set('p2'));
  f.emit(...rowPtr(3), f.set('p3'), f.get('width'), f.set('x'));
  f.emit(op.loop()); // columns
  f.emit(f.get('p0'), op.v128Load32Zero());
  f.emit(f.set('v'), f.get('p1'), f.get('v'), op.v128Load32Lane(1));
  f.emit(f.set('v'), f.get('p2'), f.get('v'), op.v128Load32Lane(2));
  f.emit(f.set('v'), f.get('p3'), f.get('v'), op.v128Load32Lane(3));
  f.emit(f.set('v'), f.get('v'), f.get('v'), op.i8x16Shuffle(PACK_RGB_X4), f.set('v'));
  f.emit(f.get('dst'), f.get('v'), op.i16x8ExtendLowI8x16U(), op.v128Store());
  f.emit(f.get('dst'), f.get('v'), op.i16x8ExtendHighI8x16U(), op.v128Store64Lane(0, 16));
  f.addTo('dst', 24).addTo('p0', 3).addTo('p1', 3).addTo('p2', 3).addTo('p3', 3).addTo('x', -1);
  f.emit(f.get('x'), op.brIf(0), op.end());
  f.addTo('g', 4);
  f.emit(f.get('g'), f.get('rows'), op.i32LtS(), op.brIf(0), op.end());
  return f;
}

/**
 * hpass4(inter, inWidth, groups, outWidth, bounds, pairTable, pairStride, dst, dstStride):
 * horizontal pass over `groups` interleaved groups, writing 4 RGB rows per group at
 * `dstStride`. Each output pixel writes 4 bytes per row (the 4th is overwritten by the next
 * pixel), so rows need one byte of slack.
 */
export function hpass4(): WasmFunction {
  const f = new WasmFunction('hpass4', [
    ['inter', I32],
    ['inWidth', I32],
    ['groups', I32],
    ['outWidth', I32],
    ['bounds', I32],
    ['pairTable', I32],
    ['pairStride', I32],
    ['dst', I32],
    ['dstStride', I32],
  ]);
  f.locals(I32, 'groupBytes', 's2', 's3', 'bp', 'kp0', 'kp', 'p', 'n', 'xx', 'dd');
  f.locals(V128, 'half', 'zero', 'hi0', 'hi1', 'hi2', 'lo0', 'lo1', 'lo2', 'wh', 'wl', 'a', 'b', 'v', 's');

  f.emit(op.i32Const(HALF), op.i32x4Splat(), f.set('half'));
  f.emit(op.i32Const(0), op.i32x4Splat(), f.set('zero'));
  f.emit(f.get('inWidth'), op.i32Const(24), op.i32Mul(), f.set('groupBytes'));
  f.emit(f.get('dstStride'), op.i32Const(2), op.i32Mul(), f.set('s2'));
  f.emit(f.get('dstStride'), op.i32Const(3), op.i32Mul(), f.set('s3'));

  f.emit(op.loop()); // groups
  f.emit(f.get('bounds'), f.set('bp'), f.get('pairTable'), f.set('kp0'), f.get('dst'), f.set('dd'));
  f.emit(f.get('outWidth'), f.set('xx'));
  f.emit(op.loop()); // output pixels
  f.emit(f.get('inter'), f.get('bp'), op.i32Load(0), op.i32Const(24), op.i32Mul(), op.i32Add(), f.set('p'));
  f.emit(f.get('bp'), op.i32Load(4), f.set('n'), f.get('kp0'), f.set('kp'));
  for (const acc of ['hi0', 'hi1', 'hi2', 'lo0', 'lo1', 'lo2']) f.emit(f.get('zero'), f.set(acc));
  f.emit(op.loop()); // tap pairs (>= 1)
  f.emit(f.get('kp'), op.v128Load32Splat(0), f.set('wh'), f.get('kp'), op.v128Load32Splat(4), f.set('wl'));
  // Columns x and x+1 are 24 bytes apart; zip their u16 lanes into (tap t, tap t+1) pairs.
  f.emit(f.get('p'), op.v128Load(0), f.set('a'), f.get('p'), op.v128Load(24), f.set('b'));
  f.emit(f.get('a'), f.get('b'), op.i8x16Shuffle(ZIP_LOW_16), f.set('v'));
  dotAdd(f, 'hi0', 'v', 'wh');
  dotAdd(f, 'lo0', 'v', 'wl');
  f.emit(f.get('a'), f.get('b'), op.i8x16Shuffle(ZIP_HIGH_16), f.set('v'));
  dotAdd(f, 'hi1', 'v', 'wh');
  dotAdd(f, 'lo1', 'v', 'wl');
  f.emit(f.get('p'), op.v128Load64Zero(16), f.get('p'), op.v128Load64Zero(40), op.i8x16Shuffle(ZIP_LOW_16));
  f.emit(f.set('v'));
  dotAdd(f, 'hi2', 'v', 'wh');
  dotAdd(f, 'lo2', 'v', 'wl');
  f.addTo('p', 48).addTo('kp', 8).addTo('n', -1);
  f.emit(f.get('n'), op.brIf(0), op.end());
  // Lanes: 0 = R0 G0 B0 R1, 1 = G1 B1 R2 G2, 2 = B2 R3 G3 B3.
  f.emit(...combined(f, 'hi0', 'lo0'), ...combined(f, 'hi1', 'lo1'), op.i16x8NarrowI32x4S());
  f.emit(...combined(f, 'hi2', 'lo2'), f.get('zero'), op.i16x8NarrowI32x4S(), op.i8x16NarrowI16x8U());
  f.emit(f.set('s'), f.get('s'), f.get('s'), op.i8x16Shuffle(SPREAD_RGB_X4), f.set('s'));
  f.emit(f.get('dd'), f.get('s'), op.v128Store32Lane(0));
  f.emit(f.get('dd'), f.get('dstStride'), op.i32Add(), f.get('s'), op.v128Store32Lane(1));
  f.emit(f.get('dd'), f.get('s2'), op.i32Add(), f.get('s'), op.v128Store32Lane(2));
  f.emit(f.get('dd'), f.get('s3'), op.i32Add(), f.get('s'), op.v128Store32Lane(3));
  f.addTo('dd', 3).addTo('bp', 8).addTo('kp0', 'pairStride').addTo('xx', -1);
  f.emit(f.get('xx'), op.brIf(0), op.end());
  f.addTo('inter', 'groupBytes');
  f.emit(f.get('dst'), f.get('dstStride'), op.i32Const(4), op.i32Mul(), op.i32Add(), f.set('dst'));
  f.addTo('groups', -1);
  f.emit(f.get('groups'), op.brIf(0), op.end());
  return f;
}

/**
 * vpass(src, srcStride, rowBytes, outRows, bounds, pairTable, pairStride, dst, dstStride):
 * vertical pass; byte columns are independent, so 16 bytes are processed at once, zipping
 * rows y and y+1 into (tap t, tap t+1) pairs. Writes whole 16-byte chunks, i.e. up to 15 bytes
 * past `rowBytes`.
 */
export function vpass(): WasmFunction {
  const f = new WasmFunction('vpass', [
    ['src', I32],
    ['srcStride', I32],
    ['rowBytes', I32],
    ['outRows', I32],
    ['bounds', I32],
    ['pairTable', I32],
    ['pairStride', I32],
    ['dst', I32],
    ['dstStride', I32],
  ]);
  f.locals(I32, 'stride2', 'srow', 'n0', 'n', 'b', 'p', 'kp');
  f.locals(
    V128,
    'half',
    'zero',
    'hi0',
    'hi1',
    'hi2',
    'hi3',
    'lo0',
    'lo1',
    'lo2',
    'lo3',
    'wh',
    'wl',
    'a',
    'c',
    'v',
  );
  const accs = ['hi0', 'hi1', 'hi2', 'hi3', 'lo0', 'lo1', 'lo2', 'lo3'];

  f.emit(op.i32Const(HALF), op.i32x4Splat(), f.set('half'));
  f.emit(op.i32Const(0), op.i32x4Splat(), f.set('zero'));
  f.emit(f.get('srcStride'), op.i32Const(2), op.i32Mul(), f.set('stride2'));
  f.emit(op.loop()); // output rows
  f.emit(
    f.get('src'),
    f.get('bounds'),
    op.i32Load(0),
    f.get('srcStride'),
    op.i32Mul(),
    op.i32Add(),
    f.set('srow'),
  );
  f.emit(f.get('bounds'), op.i32Load(4), f.set('n0'), op.i32Const(0), f.set('b'));
  f.emit(op.loop()); // 16-byte chunks
  for (const acc of accs) f.emit(f.get('zero'), f.set(acc));
  f.emit(f.get('srow'), f.get('b'), op.i32Add(), f.set('p'), f.get('pairTable'), f.set('kp'));
  f.emit(f.get('n0'), f.set('n'));
  f.emit(op.loop()); // tap pairs (>= 1)
  f.emit(f.get('kp'), op.v128Load32Splat(0), f.set('wh'), f.get('kp'), op.v128Load32Splat(4), f.set('wl'));
  for (const [half, accHi, accLo, offset] of [
    [0, 'hi0', 'lo0', 0],
    [1, 'hi1', 'lo1', 0],
    [0, 'hi2', 'lo2', 8],
    [1, 'hi3', 'lo3', 8],
  ] as const) {
    if (half === 0) {
      f.emit(f.get('p'), op.v128Load8x8U(offset), f.set('a'));
      f.emit(f.get('p'), f.get('srcStride'), op.i32Add(), op.v128Load8x8U(offset), f.set('c'));
    }
    f.emit(f.get('a'), f.get('c'), op.i8x16Shuffle(half === 0 ? ZIP_LOW_16 : ZIP_HIGH_16), f.set('v'));
    dotAdd(f, accHi, 'v', 'wh');
    dotAdd(f, accLo, 'v', 'wl');
  }
  f.addTo('p', 'stride2').addTo('kp', 8).addTo('n', -1);
  f.emit(f.get('n'), op.brIf(0), op.end());
  f.emit(f.get('dst'), f.get('b'), op.i32Add());
  f.emit(...combined(f, 'hi0', 'lo0'), ...combined(f, 'hi1', 'lo1'), op.i16x8NarrowI32x4S());
  f.emit(...combined(f, 'hi2', 'lo2'), ...combined(f, 'hi3', 'lo3'), op.i16x8NarrowI32x4S());
  f.emit(op.i8x16NarrowI16x8U(), op.v128Store());
  f.addTo('b', 16);
  f.emit(f.get('b'), f.get('rowBytes'), op.i32LtS(), op.brIf(0), op.end());
  f.addTo('bounds', 8).addTo('pairTable', 'pairStride').addTo('dst', 'dstStride').addTo('outRows', -1);
  f.emit(f.get('outRows'), op.brIf(0), op.end());
  return f;
}

/**
 * Builds the pair table of one axis (see the module comment) plus `[start, pairs]` bounds.
 *
 * Every output position gets the same number of pairs (zero weights pad the shorter windows,
 * and windows at the far edge start earlier so they stay inside the input): with a constant
 * trip count the tap loop's exit branch is predictable, which matters more than the few extra
 * multiply-adds. Inputs narrower than the window keep per-position counts.
 */
export function pairTables(
  coeffs: ResampleCoefficients,
  inSize: number,
): { bounds: Int32Array; pairs: Int32Array; pairStride: number } {
  const { starts, counts, weights, ksize } = coeffs;
  const n = starts.length;
  const pairsPerOut = Math.ceil(Math.max(...counts) / 2);
  const uniform = 2 * pairsPerOut <= inSize;
  const pairs = new Int32Array(n * pairsPerOut * 2);
  const bounds = new Int32Array(n * 2);
  const mask = (1 << WEIGHT_SPLIT_BITS) - 1;
  for (let i = 0; i < n; i++) {
    const count = counts[i];
    const nPairs = uniform ? pairsPerOut : Math.ceil(count / 2);
    const start = uniform ? Math.min(starts[i], inSize - 2 * nPairs) : starts[i];
    const lead = starts[i] - start;
    bounds[2 * i] = start;
    bounds[2 * i + 1] = nPairs;
    const tap = (j: number): number => {
      const t = j - lead;
      const w = t >= 0 && t < count ? weights[i * ksize + t] : 0;
      // Bicubic weights stay far below 2^26, so the high halves fit in i16.
      if (Math.abs(w) >= 1 << 26) throw new Error(`resample weight ${w} out of range`);
      return w;
    };
    for (let k = 0; k < nPairs; k++) {
      const w0 = tap(2 * k);
      const w1 = tap(2 * k + 1);
      const o = (i * pairsPerOut + k) * 2;
      pairs[o] = ((w0 >> WEIGHT_SPLIT_BITS) & 0xffff) | ((w1 >> WEIGHT_SPLIT_BITS) << 16);
      pairs[o + 1] = (w0 & mask) | ((w1 & mask) << 16);
    }
  }
  return { bounds, pairs, pairStride: pairsPerOut * 8 };
}
