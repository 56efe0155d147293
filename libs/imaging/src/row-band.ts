import { InvalidArgumentError } from '@internvl/errors';
import { bicubicCoefficients } from './resample-coefficients';

/**
 * A share of one image's work: rows `[from, to)` of every resized image, as fractions of its
 * height. Shares that tile [0, 1) compute every output value exactly once between them, so one
 * image can be spread over several threads.
 */
export interface RowBand {
  from: number;
  to: number;
}

/** The whole image as one share. */
export const WHOLE_IMAGE: RowBand = { from: 0, to: 1 };

/** Throws unless `band` is a range inside [0, 1]. */
export function checkBand(band: RowBand): void {
  const { from, to } = band;
  if (!(Number.isFinite(from) && Number.isFinite(to) && from >= 0 && from <= to && to <= 1)) {
    throw new InvalidArgumentError(`a row band must satisfy 0 <= from <= to <= 1, got [${from}, ${to})`);
  }
}

/** Rows `[start, end)` of a `height`-row image that `band` covers (neighbouring bands meet exactly). */
export function bandRowRange(height: number, band: RowBand): [number, number] {
  return [Math.round(band.from * height), Math.round(band.to * height)];
}

/**
 * Source rows `[top, top + rows)` that `band` of resizes from `srcHeight` rows to each of
 * `heights` reads (the vertical filter windows of its output rows); `rows` is 0 when the band
 * covers no output row.
 */
export function bandSourceRows(
  srcHeight: number,
  heights: readonly number[],
  band: RowBand,
): { top: number; rows: number } {
  let top = srcHeight;
  let bottom = 0;
  for (const height of heights) {
    const [start, end] = bandRowRange(height, band);
    if (start >= end) continue;
    if (height === srcHeight) {
      // No vertical pass: output row y is source row y.
      top = Math.min(top, start);
      bottom = Math.max(bottom, end);
      continue;
    }
    const { starts, counts } = bicubicCoefficients(srcHeight, height);
    for (let y = start; y < end; y++) {
      top = Math.min(top, starts[y]);
      bottom = Math.max(bottom, starts[y] + counts[y]);
    }
  }
  return bottom > top ? { top, rows: bottom - top } : { top: 0, rows: 0 };
}
