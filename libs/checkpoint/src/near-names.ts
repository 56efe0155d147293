/** Levenshtein distance, giving up (returning > limit) once every path exceeds `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Stored names close to `name` (edit distance within about a quarter of its length), best
 * first: typically the same tensor under a different prefix or with a typo.
 */
export function nearNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 4));
  const scored: [string, number][] = [];
  for (const c of candidates) {
    const d = distance(name, c, limit);
    if (d <= limit) scored.push([c, d]);
  }
  // Among equally close names, the one sharing the longest prefix is usually the intended one
  // (layers.30 for a missing layers.31, not layers.1).
  const prefix = (c: string) => {
    let i = 0;
    while (i < c.length && c[i] === name[i]) i++;
    return i;
  };
  scored.sort((x, y) => x[1] - y[1] || prefix(y[0]) - prefix(x[0]) || (x[0] < y[0] ? -1 : 1));
  return scored.slice(0, max).map(([c]) => c);
}
