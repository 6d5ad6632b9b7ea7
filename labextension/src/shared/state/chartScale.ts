/** Axis ticks for the SVG charts: round numbers (1, 2, 5 × 10^k) covering a range. */

/** About `count` round tick values from `lo` to `hi` (both included when round). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || count < 1) {
    return [];
  }
  if (lo === hi) {
    return [lo];
  }
  if (lo > hi) {
    [lo, hi] = [hi, lo];
  }
  const raw = (hi - lo) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  // the round step whose tick count is nearest the wanted one
  const step = [1, 2, 5, 10]
    .map(m => m * power)
    .reduce((best, s) => (Math.abs((hi - lo) / s - count) < Math.abs((hi - lo) / best - count) ? s : best));
  const first = Math.ceil(lo / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) {
    // rounding keeps 0.30000000000000004 out of the labels
    ticks.push(Number(v.toPrecision(12)) || 0);
  }
  return ticks;
}

/** Cell colour intensity 0..1 of a confusion-matrix count, by its row (the true class). */
export function rowShares(matrix: number[][]): number[][] {
  return matrix.map(row => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map(v => (total ? v / total : 0));
  });
}
