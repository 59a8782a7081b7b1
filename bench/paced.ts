// Paced flips (60 Hz backend): how far each flip-complete timestamp lands from Δsequence frame periods after the
// previous one, beside the same figure for a bare 60 Hz timer loop in this process (the reference: what the event
// loop's own wake-ups cost on this machine right now). These figures were a test bar once; a loaded machine broke
// them, so they live here.
import { Card } from '../frontend/client/card.js';
import { findOutput } from '../frontend/client/output.js';
import { XRGB8888 } from '../protocol/formats.js';
import { startPair } from '../cli/processes.js';
import { summarise, type Summary } from './stats.js';

const PERIOD_US = 1e6 / 60;

export interface PacedResult {
  /** |Δt − Δsequence × period| per step, µs. */
  jitter: Summary;
  meanPeriodUs: number;
  /** Steps where a flip missed a vblank (Δsequence > 1). */
  missed: number;
}

export async function pacedFlips(count: number): Promise<PacedResult> {
  const pair = await startPair({ connectors: '640x480' });
  const card = Card.open(pair.card);
  try {
    const out = await findOutput(card, 0);
    const fbs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const d = await card.createDumb(640, 480, 32);
      fbs.push(await card.addFb2(640, 480, XRGB8888.fourcc, d.handle, d.pitch));
    }
    await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
    const events: { seq: number; us: number }[] = [];
    for (let i = 0; i < count; i++) {
      await card.pageFlip(out.crtcId, fbs[(i + 1) % 2]!, BigInt(i));
      const ev = await card.nextEvent(5000);
      events.push({ seq: ev.sequence, us: ev.tvSec * 1e6 + ev.tvUsec });
    }
    const steps = events.slice(1).map((e, i) => ({ dseq: e.seq - events[i]!.seq, dt: e.us - events[i]!.us }));
    return {
      jitter: summarise(steps.map((s) => Math.abs(s.dt - s.dseq * PERIOD_US))),
      meanPeriodUs: steps.reduce((a, s) => a + s.dt / Math.max(1, s.dseq), 0) / steps.length,
      missed: steps.filter((s) => s.dseq > 1).length,
    };
  } finally {
    card.close();
    await pair.stop();
  }
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
