// `node dist/bench/profile.js [FLIPS] [--crc]`: the unpaced 1080p flip loop of the bench with the V8 CPU profiler
// (`--cpu-prof`) on the frontend and backend processes, then the top entries of each profile by self time. What the
// hot path spends is read here first, before it is changed, and compared after.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card } from '../frontend/client/card.js';
import { WARMUP, flipSetup, nowUs, timeFlips, withPair } from './flip-loop.js';
import { cpuUs } from './proc-stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** CLOCK_MONOTONIC µs, as process.hrtime. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per function (name + file:line) of the samples taken within `window` (monotonic µs), as a share of
 * the busy (non-idle) ones, largest first.
 */
export function topSelf(profile: CpuProfile, window: { from: number; to: number }, count: number): { busyUs: number; top: { name: string; share: number }[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < window.from || t > window.to) return;
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^.*\/(dist|node_modules)\//, '');
    const key = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  self.delete('(idle)');
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, t]) => ({ name, share: t / total }));
  return { busyUs: total, top };
}

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
}

async function main(): Promise<void> {
  const flips = Number(process.argv[2] ?? 5000);
  const crc = process.argv.includes('--crc');
  const dir = process.env.PROFILE_DIR ?? mkdtempSync(join(tmpdir(), "pvd-prof-"));
  try {
    const roles = new Map<number, string>();
    let window = { from: 0, to: 0 };
    const cpu = new Map<string, number>();
    const rt = await withPair({ unpaced: true, backendArgs: crc ? [] : ['--no-crc'], nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${process.env.PROFILE_INTERVAL_US ?? 1000}`] }, async (pair) => {
      roles.set(pair.backend.child.pid!, 'backend');
      roles.set(pair.frontend.child.pid!, 'frontend');
      roles.set(process.pid, 'client (this process)');
      const card = Card.open(pair.card);
      try {
        const setup = await flipSetup(card, 1920, 1080);
        const pids = { backend: pair.backend.child.pid!, frontend: pair.frontend.child.pid!, client: process.pid };
        const before = Object.entries(pids).map(([role, pid]) => [role, cpuUs(pid)] as const);
        const session = new Session();
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.start');
        const from = nowUs();
        const { rt } = await timeFlips(card, setup, flips);
        window = { from, to: nowUs() };
        const { profile } = (await post(session, 'Profiler.stop')) as { profile: CpuProfile };
        writeFileSync(join(dir, `CPU.0.0.${process.pid}.0.client.cpuprofile`), JSON.stringify(profile));
        session.disconnect();
        for (const [role, us] of before) cpu.set(role, cpuUs(pids[role as keyof typeof pids]) - us);
        return rt;
      } finally {
        card.close();
      }
    });
    const total = flips + WARMUP;
    process.stdout.write(`flip round trip p50 ${rt.p50.toFixed(1)} µs, p99 ${rt.p99.toFixed(1)} µs over ${flips} flips (CRC ${crc ? 'on' : 'off'}, profiled)\n`);
    process.stdout.write(`CPU time per flip (user + system, /proc): ${[...cpu].map(([role, us]) => `${role} ${(us / total).toFixed(1)} µs`).join(', ')}\n`);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      const { busyUs, top } = topSelf(profile, window, 15);
      process.stdout.write(`\n${roles.get(pid) ?? 'process'} ${pid}: busy ${(busyUs / total).toFixed(1)} µs per flip (wall time on the CPU or preempted in it); top self time\n`);
      for (const t of top) process.stdout.write(`${(t.share * 100).toFixed(1).padStart(6)}%  ${t.name}\n`);
    }
  } finally {
    if (!process.env.PROFILE_DIR) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`profile failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
