// The vblank-grid extension (beyond Xen, announced like any feature-* key): a paced backend says where its vblanks
// fall, so that the frontend stamps flip-complete events and counts vblanks on the backend's real grid instead of
// inferring the grid from when frame-done events arrive (a late event would otherwise shift the grid or count a
// vblank twice, and the counter would run ahead of time). The backend writes `feature-vblank-grid = 1` in its
// directory and, per paced connector, `<i>/vblank-grid = "<anchor ns> <period ns>"`: one vblank instant on
// CLOCK_MONOTONIC and the refresh period. It only means something when both ends read the same clock (one host); a
// frontend without the key infers the grid.
import { featureKey } from '../version.js';

export const VBLANK_GRID_FEATURE = featureKey('vblank-grid');

export interface VblankGrid {
  anchorNs: bigint;
  periodNs: bigint;
}

export function vblankGridKey(index: number): string {
  return `${index}/vblank-grid`;
}

/** The refresh period both ends compute from a rate in Hz. */
export function periodNsOf(refreshHz: number): bigint {
  return BigInt(Math.round(1e9 / Math.max(1, refreshHz)));
}

export function formatVblankGrid(g: VblankGrid): string {
  return `${g.anchorNs} ${g.periodNs}`;
}

/** Strict: two decimal integers, a period between 1 µs and 10 s; anything else is no grid. */
export function parseVblankGrid(value: string | undefined): VblankGrid | undefined {
  const m = value === undefined ? null : /^(\d{1,20}) (\d{4,11})$/.exec(value);
  if (!m) return undefined;
  const periodNs = BigInt(m[2]!);
  if (periodNs < 1000n || periodNs > 10_000_000_000n) return undefined;
  return { anchorNs: BigInt(m[1]!), periodNs };
}
