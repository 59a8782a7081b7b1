// The backend's vblank clock: each call lands on the next grid slot, never before that slot's instant (an event
// must not leave before the vblank it is stamped with), one slot per call; stop() cancels and lets go of its fd.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VblankClock } from '../../backend/scanout/vblank.js';

const ownFds = () => readdirSync('/proc/self/fd').length;

describe('vblank clock', () => {
  it('fires on consecutive grid slots, each at or after its own instant', async () => {
    const clock = new VblankClock(240);
    const { anchorNs, periodNs } = clock.grid;
    const fired: { wanted: bigint; at: bigint }[] = [];
    await new Promise<void>((done) => {
      const next = (): void => {
        const wanted = (process.hrtime.bigint() - anchorNs) / periodNs + 1n;
        clock.schedule(() => {
          fired.push({ wanted, at: process.hrtime.bigint() });
          if (fired.length < 60) next();
          else done();
        });
      };
      next();
    });
    clock.stop();
    for (const f of fired) expect(f.at >= anchorNs + f.wanted * periodNs).toBe(true);
    const slots = fired.map((f) => (f.at - anchorNs) / periodNs);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! > slots[i - 1]!).toBe(true);
  });

  it('a second schedule() while one is pending is the same call; stop() cancels it and closes the timer', async () => {
    const before = ownFds();
    const clock = new VblankClock(60);
    let calls = 0;
    clock.schedule(() => calls++);
    clock.schedule(() => (calls += 100));
    expect(ownFds()).toBe(before + 1);
    clock.stop();
    expect(ownFds()).toBe(before);
    await new Promise((r) => setTimeout(r, 40)); // past the slot it was armed for
    expect(calls).toBe(0);
    const again = new VblankClock(240);
    await new Promise<void>((r) => again.schedule(r));
    again.stop();
    expect(ownFds()).toBe(before);
  });
});
