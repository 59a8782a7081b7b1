// The vblank counter on a published grid (feature-vblank-grid), in process: however late frame-done events
// arrive, stamps are grid points and the counter advances by the grid points that passed, never ahead of time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Vblank } from '../../frontend/kms/vblank.js';
import { formatVblankGrid, parseVblankGrid } from '../../protocol/bus/vblank-grid-keys.js';

const P = 16_666_667n;

describe('Vblank on a published grid', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Pretends the monotonic clock reads `t`. */
  function at(t: bigint): void {
    vi.spyOn(process.hrtime, 'bigint').mockReturnValue(t);
  }

  it('stamps each frame done with the last grid point before it, and counts the points between', () => {
    const anchor = 1_000_000_000n;
    const v = new Vblank(() => true);
    v.grid = { anchorNs: anchor, periodNs: P };
    at(anchor + 3n * P + 100n);
    v.enable(60);
    // On time (0.1 ms late), very late (0.9 period late), and after two missed vblanks: always on the grid.
    const arrivals = [4n * P + 100_000n, 5n * P + 15_000_000n, 8n * P + 1n];
    const seen = arrivals.map((t) => {
      at(anchor + t);
      v.frameDone();
      return [v.count, v.timestampNs - anchor];
    });
    expect(seen).toEqual([
      [1, 4n * P],
      [2, 5n * P],
      [5, 8n * P],
    ]);
    v.disable();
  });

  it('the key round-trips, and a malformed one is no grid', () => {
    const g = { anchorNs: 123_456_789_012n, periodNs: P };
    expect(parseVblankGrid(formatVblankGrid(g))).toEqual(g);
    for (const bad of [undefined, '', '1 2', '-1 16666667', '1 16666667 3', '1 99999999999', 'x 16666667']) expect(parseVblankGrid(bad)).toBeUndefined();
  });
});
