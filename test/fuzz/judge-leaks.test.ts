// The fuzz runner's leak verdict: a heap that swings between rounds is not a leak, one whose floor rises is, and
// fds are judged on the last round.
import { describe, expect, it } from 'vitest';
import { judgeLeaks, type ProcessUsage } from '../../fuzz/runner.js';

const BASE = { fds: 30, rssKb: 60_000, heapKb: 10_000 };

/** One process's rounds: its heap (KiB) and fds after each. */
function history(rounds: { heapKb: number; fds?: number }[]): ProcessUsage[][] {
  return rounds.map((r) => [{ label: 'fuzzer', before: BASE, after: { fds: r.fds ?? 30, rssKb: 60_000, heapKb: r.heapKb }, leak: false, peakRssKb: 60_000, rssOver: false }]);
}
const verdict = (h: ProcessUsage[][]) => (judgeLeaks(h), h.at(-1)![0]!.leak);

describe('fuzz leak verdict', () => {
  it('a heap that swings above its baseline and back is no leak, even over two rounds', () => {
    expect(verdict(history([{ heapKb: 10_700 }, { heapKb: 11_200 }]))).toBe(false);
    expect(verdict(history([10_000, 12_300, 10_400, 13_700, 10_300, 13_200].map((heapKb) => ({ heapKb }))))).toBe(false);
  });

  it('a heap that keeps growing is a leak', () => {
    expect(verdict(history([11_000, 12_000, 13_000, 14_000, 15_000, 16_000].map((heapKb) => ({ heapKb }))))).toBe(true);
    expect(verdict(history([{ heapKb: 11_500 }, { heapKb: 11_600 }]))).toBe(true);
  });

  it('fds still over the baseline after the last round are a leak', () => {
    expect(verdict(history([{ heapKb: 10_000, fds: 30 }, { heapKb: 10_000, fds: 40 }]))).toBe(true);
  });
});
