// Deadlines: each fires once, never before its instant, in instant order; all of them share one timerfd, held only
// while one is armed; cancel and re-arm take effect, a fire may arm again.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../shared/deadline.js';

const ownFds = () => readdirSync('/proc/self/fd').length;
const now = () => process.hrtime.bigint();
const MS = 1_000_000n;

describe('deadline', () => {
  it('many deadlines fire in instant order, each at or after its instant, on one fd', async () => {
    const before = ownFds();
    const start = now();
    const fired: { i: number; at: bigint; was: bigint }[] = [];
    const all: Promise<void>[] = [];
    // Armed out of order, some at the same instant, some already past.
    const offsets = [7n, 3n, 3n, 11n, 0n, 5n, 1n, 9n, 2n, 4n].map((k) => k * MS + 137_000n);
    offsets.forEach((off, i) => {
      all.push(
        new Promise<void>((done) => {
          const d = new Deadline(() => {
            fired.push({ i, at: now(), was: start + off });
            done();
          });
          d.arm(start + off);
        }),
      );
    });
    expect(ownFds()).toBe(before + 1);
    await Promise.all(all);
    expect(ownFds()).toBe(before);
    for (const f of fired) expect(f.at >= f.was).toBe(true);
    const order = fired.map((f) => f.was);
    expect(order).toEqual([...order].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('a cancelled deadline does not fire; a re-armed one fires once, at its new instant', async () => {
    let cancelled = 0;
    const c = new Deadline(() => cancelled++);
    c.arm(now() + 2n * MS);
    c.cancel();
    expect(c.at).toBeUndefined();
    let moves = 0;
    let firedAt = 0n;
    const target = now() + 15n * MS;
    await new Promise<void>((done) => {
      const m = new Deadline(() => {
        moves++;
        firedAt = now();
        done();
      });
      m.arm(now() + 1n * MS);
      m.arm(target);
    });
    // A late one after both, so that anything still owed has had its chance.
    await new Promise<void>((done) => new Deadline(done).arm(now() + 5n * MS));
    expect(cancelled).toBe(0);
    expect(moves).toBe(1);
    expect(firedAt >= target).toBe(true);
  });

  it('a deadline that arms again from its fire keeps ticking on the same timer', async () => {
    const before = ownFds();
    const ticks: bigint[] = [];
    await new Promise<void>((done) => {
      let next = now() + MS;
      const d: Deadline = new Deadline(() => {
        ticks.push(now());
        expect(ownFds()).toBe(before + 1);
        if (ticks.length === 20) return done();
        next += MS;
        d.arm(next);
      });
      d.arm(next);
    });
    expect(ticks).toHaveLength(20);
    expect(ownFds()).toBe(before);
  });
});
