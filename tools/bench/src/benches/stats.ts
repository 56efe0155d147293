/** Median of a non-empty list (the mean of the two middle values for even lengths). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds for the JSON report. */
export const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
