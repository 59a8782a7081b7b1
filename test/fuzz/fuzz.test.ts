// The project's own fuzz suite, bounded by input counts (not seconds, so a loaded machine changes only how long it
// takes): 3,000 device-node inputs, 1,000 control-channel inputs, 200 hostile-backend inputs, 1,000 VNC inputs and
// 300 remote-transport inputs with a fixed seed, against real processes while an honest client flips. No crash, no
// hang, the honest client's flips complete, and every process's fds come back within bounds after each round.
// `npm run fuzz -- --seconds N` is the long run.
import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz, type SurfaceName } from '../../fuzz/runner.js';

const SEED = 20261201;
const COUNTS: Record<SurfaceName, number> = { 'device-node': 3000, control: 1000, 'hostile-backend': 200, vnc: 1000, remote: 300 };

describe('fuzz (bounded)', () => {
  it(`seed ${SEED}: five attack surfaces, no crash, no hang, no fd leak`, async () => {
    const report = await runFuzz({ seed: SEED, counts: COUNTS });
    const summary = formatReport(report);
    expect(report.findings, summary).toEqual([]);
    for (const s of report.surfaces) {
      expect(s.inputs, summary).toBeGreaterThanOrEqual(COUNTS[s.name]);
      for (const u of s.usage) expect(u.after.fds, `${s.name} ${u.label}\n${summary}`).toBeLessThanOrEqual(Math.max(u.before.fds * 1.05, u.before.fds + 2));
    }
    expect(report.flips, summary).toBeGreaterThan(0);
  }, 900_000);
});
