// Page flips through the client library against real frontend and backend processes: one event per flip, in
// order, with the user data, CRTC, increasing sequence and monotonic timestamps; no fd leak over 10,000 flips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Card } from '../../frontend/client/card.js';
import { showTwoFramebuffers } from '../../frontend/client/flip-buffers.js';
import { EVENT_TYPE } from '../../protocol/kms/constants.js';
import { readFileSync } from 'node:fs';
import { fdCount, startPair, type Pair } from '../../cli/processes.js';

/** Shared-memory mappings of a process: lines of /proc/PID/maps backed by a memfd. */
function memfdMappings(pid: number): number {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => l.includes('/memfd:')).length;
}

describe('page flips (unpaced)', () => {
  let pair: Pair;
  let card: Card;
  beforeAll(async () => {
    pair = await startPair({ connectors: '640x480', unpaced: true });
    card = Card.open(pair.card);
  });
  afterAll(async () => {
    card?.close();
    await pair?.stop();
  });

  it('one hundred flips in a row each deliver one event, in order', async () => {
    const { out, fbs } = await showTwoFramebuffers(card);
    const events = [];
    let lastSeq = -1;
    for (let n = 1; n <= 100; n++) {
      await card.pageFlip(out.crtcId, fbs[n % 2]!, BigInt(n) * 0x100000001n);
      const ev = await card.nextEvent();
      events.push(ev);
      expect(ev.type).toBe(EVENT_TYPE.FLIP_COMPLETE);
      expect(ev.userData).toBe(BigInt(n) * 0x100000001n);
      expect(ev.crtcId).toBe(out.crtcId);
      expect(ev.sequence).toBeGreaterThan(lastSeq);
      lastSeq = ev.sequence;
    }
    const ts = events.map((e) => e.tvSec * 1e6 + e.tvUsec);
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1]!)).toBe(true);
    // No extra event sneaks in after the hundredth.
    await expect(card.nextEvent(300)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('a second flip before the first completes is EBUSY', async () => {
    const { out, fbs } = await showTwoFramebuffers(card);
    const first = card.pageFlip(out.crtcId, fbs[1]!, 1n);
    const second = card.pageFlip(out.crtcId, fbs[0]!, 2n);
    await first;
    await expect(second).rejects.toMatchObject({ code: 'EBUSY', errno: 16 });
    expect((await card.nextEvent()).userData).toBe(1n);
  });

  it('10,000 flips leave fd and mapping counts of both processes where they were', async () => {
    const { out, fbs } = await showTwoFramebuffers(card);
    const pids = [pair.frontend.child.pid!, pair.backend.child.pid!];
    const warm = async (count: number, from: number) => {
      for (let n = from; n < from + count; n++) {
        await card.pageFlip(out.crtcId, fbs[n % 2]!, BigInt(n));
        await card.nextEvent();
      }
    };
    await warm(100, 0);
    const before = pids.map((p) => [fdCount(p), memfdMappings(p)]);
    await warm(10_000, 100);
    expect(pids.map((p) => [fdCount(p), memfdMappings(p)])).toEqual(before);
  });
});

describe('paced flips', () => {
  it('complete at the 60 Hz vblank grid, stamped on it and counted by it', async () => {
    const pair = await startPair({ connectors: '320x240' });
    const card = Card.open(pair.card);
    try {
      const { out, fbs } = await showTwoFramebuffers(card);
      const events: { stamp: number; sequence: number }[] = [];
      for (let n = 0; n < 30; n++) {
        await card.pageFlip(out.crtcId, fbs[n % 2]!, BigInt(n));
        const ev = await card.nextEvent();
        events.push({ stamp: ev.tvSec * 1e6 + ev.tvUsec, sequence: ev.sequence });
      }
      // The backend publishes its vblank grid: each flip is stamped with a vblank of it, as many periods after the
      // previous one as the sequence advanced (a loaded machine may miss vblanks: a step of 2 periods, never less).
      for (let i = 1; i < events.length; i++) {
        const frames = events[i]!.sequence - events[i - 1]!.sequence;
        expect(frames).toBeGreaterThanOrEqual(1);
        expect(Math.abs(events[i]!.stamp - events[i - 1]!.stamp - (frames * 1e6) / 60)).toBeLessThanOrEqual(1);
      }
    } finally {
      card.close();
      await pair.stop();
    }
  });
});
