// Percentiles of a sample of durations.
export function percentile(sortedUs: number[], p: number): number {
  if (sortedUs.length === 0) return NaN;
  const i = Math.min(sortedUs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedUs.length) - 1));
  return sortedUs[i]!;
}

export interface Summary {
  p50: number;
  p99: number;
  n: number;
}

export function summarise(samplesUs: number[]): Summary {
  const s = [...samplesUs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
}
