// Paced flips (60 Hz backend): how far each flip-complete timestamp lands from Δsequence frame periods after the
// previous one, beside the same figure for a bare 60 Hz timer loop in this process (the reference: what the event
// loop's own wake-ups cost on this machine right now); and how long after its vblank each event reaches the client
// (receipt time − the event's vblank timestamp, both CLOCK_MONOTONIC), which is what a CRC in the way would delay.
import { Card } from '../frontend/client/card.js';
import { flipSetup, nowUs, withPair } from './flip-loop.js';
import { summarise, type Summary } from './stats.js';

const PERIOD_US = 1e6 / 60;

export interface PacedResult {
  /** |Δt − Δsequence × period| per step, µs. */
  jitter: Summary;
  meanPeriodUs: number;
  /** Steps where a flip missed a vblank (Δsequence > 1). */
  missed: number;
  /** Event receipt − its vblank timestamp, µs. */
  latency: Summary;
}

export async function pacedFlips(count: number, o: { crc: boolean; width?: number; height?: number }): Promise<PacedResult> {
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  return withPair({ width, height, backendArgs: o.crc ? [] : ['--no-crc'] }, async (pair) => {
    const card = Card.open(pair.card);
    try {
      const setup = await flipSetup(card, width, height);
      const events: { seq: number; us: number; late: number }[] = [];
      for (let i = 0; i < count; i++) {
        await card.pageFlip(setup.crtcId, setup.fbs[(i + 1) % 2]!, BigInt(i));
        const ev = await card.nextEvent(5000);
        const us = ev.tvSec * 1e6 + ev.tvUsec;
        events.push({ seq: ev.sequence, us, late: nowUs() - us });
      }
      const steps = events.slice(1).map((e, i) => ({ dseq: e.seq - events[i]!.seq, dt: e.us - events[i]!.us }));
      return {
        jitter: summarise(steps.map((s) => Math.abs(s.dt - s.dseq * PERIOD_US))),
        meanPeriodUs: steps.reduce((a, s) => a + s.dt / Math.max(1, s.dseq), 0) / steps.length,
        missed: steps.filter((s) => s.dseq > 1).length,
        latency: summarise(events.map((e) => e.late)),
      };
    } finally {
      card.close();
    }
  });
}

/** A timer that aims at a 60 Hz grid: how late each wake-up is, µs. */
export async function timerReference(count: number): Promise<Summary> {
  const start = process.hrtime.bigint();
  const late: number[] = [];
  for (let k = 1; k <= count; k++) {
    const target = Number(start) / 1000 + k * PERIOD_US;
    const delay = Math.max(0, (target - Number(process.hrtime.bigint()) / 1000) / 1000);
    await new Promise((r) => setTimeout(r, Math.floor(delay)));
    late.push(Math.abs(Number(process.hrtime.bigint()) / 1000 - target));
  }
  return summarise(late);
}
