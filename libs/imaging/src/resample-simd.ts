import { RGB_CHANNELS, rowsAtHand, type RgbImage, type RgbRows } from './rgb-image';
import { bicubicCoefficients, type ResampleCoefficients } from './resample-coefficients';
import { pairTables } from './resample-kernels-wasm';
import { bandRowRange, bandSourceRows, WHOLE_IMAGE, type RowBand } from './row-band';
import type { SimdArena } from './simd-module';

/**
 * Pillow-exact BICUBIC resizes of one source image to several sizes with the WebAssembly SIMD
 * kernels. The source is fed in strips of rows: each strip is interleaved once and goes through
 * the horizontal pass of every target while it is in cache; the vertical pass of each target
 * then runs for every output row whose input rows are complete. With a {@link RowBand} only the
 * band's output rows are computed, from the source rows they read.
 */

/** Rows per strip: a multiple of 4 (the kernels' row group). */
const STRIP_ROWS = 16;

/** A resize result inside the arena: `height` rows of `width * 3` bytes at `ptr`. */
export interface SimdImage {
  width: number;
  height: number;
  ptr: number;
}

interface AxisTables {
  coeffs: ResampleCoefficients;
  bounds: number;
  pairs: number;
  pairStride: number;
  boundsData: Int32Array;
  pairsData: Int32Array;
}

/** Pair tables per (cached) coefficient set: building them costs more than a small resize. */
const pairTableCache = new WeakMap<ResampleCoefficients, ReturnType<typeof pairTables>>();

function placeAxis(arena: SimdArena, inSize: number, outSize: number): AxisTables {
  const coeffs = bicubicCoefficients(inSize, outSize);
  let t = pairTableCache.get(coeffs);
  if (t === undefined) {
    t = pairTables(coeffs, inSize);
    pairTableCache.set(coeffs, t);
  }
  return {
    coeffs,
    bounds: arena.alloc(t.bounds.byteLength),
    pairs: arena.alloc(t.pairs.byteLength),
    pairStride: t.pairStride,
    boundsData: t.bounds,
    pairsData: t.pairs,
  };
}

interface Target extends SimdImage {
  horizontal?: { axis: AxisTables; mid: number; midStride: number };
  vertical?: AxisTables;
  /** The output rows `[first, end)` of the band. */
  first: number;
  end: number;
  /** Next output row of the streamed vertical pass. */
  nextRow: number;
}

/** Resizes planned in an arena: allocate with `planSimdResizes`, `commit`, then `run`. */
export interface SimdResizePlan {
  outputs: SimdImage[];
  run(): void;
}

/**
 * Reserves everything needed to resize `src` to each of `sizes` in `arena` (sizes and source
 * already validated; an {@link RgbRows} source must hold the rows `band` reads). Call
 * `arena.commit()` before `run()`. Outputs are full size; only the band's rows are written.
 */
export function planSimdResizes(
  arena: SimdArena,
  src: RgbImage | RgbRows,
  sizes: readonly (readonly [number, number])[],
  band: RowBand = WHOLE_IMAGE,
): SimdResizePlan {
  const srcStride = src.width * RGB_CHANNELS;
  const srcTop = rowsAtHand(src).top;
  const needed = bandSourceRows(
    src.height,
    sizes.map(([, h]) => h),
    band,
  );
  const [fromRow, toRow] = [needed.top, needed.top + needed.rows];
  /** Byte offset of source row `row` in `src.data`. */
  const srcAt = (row: number): number => (row - srcTop) * srcStride;
  // hpass4 writes whole 4-row groups past a strip's last row, and vertical padding taps may read
  // one row past the input: spare rows.
  const paddedRows = src.height + 4;
  const targets: Target[] = sizes.map(([width, height]) => {
    const [first, end] = bandRowRange(height, band);
    const t: Target = { width, height, ptr: 0, first, end, nextRow: first };
    if (width !== src.width) {
      const midStride = width * RGB_CHANNELS + 4;
      t.horizontal = {
        axis: placeAxis(arena, src.width, width),
        mid: arena.alloc(paddedRows * midStride),
        midStride,
      };
    }
    if (height !== src.height) t.vertical = placeAxis(arena, src.height, height);
    t.ptr = arena.alloc(width * height * RGB_CHANNELS);
    return t;
  });
  const anyHorizontal = targets.some((t) => t.horizontal);
  const needWhole = targets.some((t) => !t.horizontal && t.vertical);
  const whole = needWhole ? arena.alloc((src.height + 1) * srcStride) : 0;
  const strip = anyHorizontal && !needWhole ? arena.alloc(STRIP_ROWS * srcStride) : 0;
  const inter = anyHorizontal ? arena.alloc(STRIP_ROWS * src.width * 24) : 0;

  const verticalUpTo = (t: Target, rowsDone: number, input: number, inputStride: number): void => {
    const v = t.vertical;
    if (!v) return;
    const { starts, counts } = v.coeffs;
    let end = t.nextRow;
    while (end < t.end && starts[end] + counts[end] <= rowsDone) end++;
    if (end === t.nextRow) return;
    const rowBytes = t.width * RGB_CHANNELS;
    const first = t.nextRow;
    arena.kernels.vpass(
      input,
      inputStride,
      rowBytes,
      end - first,
      v.bounds + first * 8,
      v.pairs + first * v.pairStride,
      v.pairStride,
      t.ptr + first * rowBytes,
      rowBytes,
    );
    t.nextRow = end;
  };

  const run = (): void => {
    const k = arena.kernels;
    for (const t of targets) {
      for (const axis of [t.horizontal?.axis, t.vertical]) {
        if (!axis) continue;
        arena.writeInt32(axis.bounds, axis.boundsData);
        arena.writeInt32(axis.pairs, axis.pairsData);
      }
    }
    const heap = arena.heap();
    if (needWhole) heap.set(src.data.subarray(srcAt(fromRow), srcAt(toRow)), whole + fromRow * srcStride);

    if (anyHorizontal) {
      for (let row = fromRow; row < toRow; row += STRIP_ROWS) {
        const rows = Math.min(STRIP_ROWS, toRow - row);
        let stripPtr = whole + row * srcStride;
        if (!needWhole) {
          heap.set(src.data.subarray(srcAt(row), srcAt(row + rows)), strip);
          stripPtr = strip;
        }
        k.interleave4(stripPtr, srcStride, src.width, rows, inter);
        for (const t of targets) {
          const h = t.horizontal;
          if (!h || t.first === t.end) continue;
          k.hpass4(
            inter,
            src.width,
            Math.ceil(rows / 4),
            t.width,
            h.axis.bounds,
            h.axis.pairs,
            h.axis.pairStride,
            h.mid + row * h.midStride,
            h.midStride,
          );
          verticalUpTo(t, row + rows, h.mid, h.midStride);
        }
      }
    }

    for (const t of targets) {
      const rowBytes = t.width * RGB_CHANNELS;
      if (t.horizontal && !t.vertical) {
        // Only a horizontal pass: drop the row padding.
        for (let y = t.first; y < t.end; y++) {
          const from = t.horizontal.mid + y * t.horizontal.midStride;
          heap.copyWithin(t.ptr + y * rowBytes, from, from + rowBytes);
        }
      } else if (!t.horizontal && t.vertical) {
        verticalUpTo(t, toRow, whole, srcStride);
      } else if (!t.horizontal && !t.vertical && t.first < t.end) {
        heap.set(src.data.subarray(srcAt(t.first), srcAt(t.end)), t.ptr + t.first * rowBytes);
      }
    }
  };

  return { outputs: targets.map(({ width, height, ptr }) => ({ width, height, ptr })), run };
}
