// The fuzz runner, a library for `npm run fuzz` (fuzz/run.ts) and the bounded run in `npm test`: runs the
// surfaces at once against one rig, in rounds, while the honest client flips; after each round probes each
// surface's peer, measures fds, JS heap and RSS of every process (after a settle period), and records crashes and
// hangs with the last inputs that led to them, blamed on the surface that attacks what failed. After a failure the
// rig is rebuilt and the run goes on.
import { setTimeout as sleep } from 'node:timers/promises';
import { Prng } from './prng.js';
import { Rig, type Usage } from './rig.js';
import { DeviceNodeSurface } from './device-node.js';
import { ControlSurface } from './control.js';
import { HostileBackendProcess } from './hostile-backend-process.js';
import { VncSurface } from './vnc.js';
import { RemoteSurface } from './remote.js';
import type { Surface } from './surface.js';

export const SURFACES = ['device-node', 'control', 'hostile-backend', 'vnc', 'remote'] as const;
export type SurfaceName = (typeof SURFACES)[number];

export interface FuzzOptions {
  seed: number;
  /** Stop after this long (long runs) ... */
  seconds?: number;
  /** ... or once every surface tried this many inputs (the bounded run in npm test). */
  counts?: Record<SurfaceName, number>;
  /** No flip completing for this long, or a probe unanswered for this long, is a hang. */
  hangMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Only these surfaces attack (all when not given). */
  only?: readonly SurfaceName[];
}

export interface Finding {
  surface: SurfaceName;
  kind: 'crash' | 'hang';
  what: string;
  /** The surface's input count when it happened. */
  atInput: number;
  lastInputs: string[];
}

export interface ProcessUsage {
  label: string;
  before: Usage;
  after: Usage;
  /**
   * fds, or the JS heap left after a full collection (its floor over the later rounds, see judgeLeaks), grew more than
   * 5% over the baseline (and by more than 2 fds / 1 MiB).
   */
  leak: boolean;
  /** The highest RSS (KiB) after a round's full collection since the baseline. */
  peakRssKb: number;
  /** A process of the product (not the fuzzer's own) had its RSS more than 5% over the baseline after some round. */
  rssOver: boolean;
}

/** The fuzzer's own processes: their heaps and fds are judged, their RSS (big inputs of their own making) is shown. */
const TOOL_PROCESSES = ['fuzzer', 'hostile fuzzer'];

export interface SurfaceReport {
  name: SurfaceName;
  inputs: number;
  crashes: number;
  hangs: number;
  usage: ProcessUsage[];
}

export interface FuzzReport {
  seed: number;
  seconds: number;
  flips: number;
  surfaces: SurfaceReport[];
  findings: Finding[];
  /** Every process's usage after the last round, against its baseline. */
  usage: ProcessUsage[];
  /** When that baseline was taken, s into the run (after the first round and the warm-up share). */
  baselineAtS: number;
  /** True when there was no crash, no hang, no leak and no product process's RSS over 5% above its baseline. */
  clean: boolean;
}

const BATCH: Record<SurfaceName, number> = { 'device-node': 500, control: 200, 'hostile-backend': 20, vnc: 200, remote: 100 };
const WARM_UP: Partial<Record<SurfaceName, number>> = { vnc: 5 };
const LAST_INPUTS = 20;
const LONG_ROUND_MS = 15_000;
/**
 * A long run's baseline waits until this share of the run (at most WARM_UP_MAX_MS) has been fuzzed: what a process
 * grows to meanwhile is its working size, not memory a peer makes it hold. A 600 s run's frontend compiled ~50 more
 * functions between its first and its last round (heap snapshots: the growth was JIT code, nothing of ours), most of
 * them in the first minute, and that alone took its RSS from +1 to +5% over a first-round baseline.
 */
const WARM_UP_SHARE = 0.1;
const WARM_UP_MAX_MS = 60_000;
const YIELD_EVERY: Record<SurfaceName, number> = { 'device-node': 32, control: 1, 'hostile-backend': 1, vnc: 1, remote: 1 };

function grew(before: number, after: number, slack: number): boolean {
  return after > before * 1.05 && after - before > slack;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => undefined);
  const hangMs = o.hangMs ?? 20_000;
  const root = new Prng(o.seed);
  const prngs = Object.fromEntries(SURFACES.map((s, i) => [s, root.fork(i)])) as Record<SurfaceName, Prng>;
  const reports = Object.fromEntries(SURFACES.map((s) => [s, { name: s, inputs: 0, crashes: 0, hangs: 0, usage: [] as ProcessUsage[] }])) as Record<SurfaceName, SurfaceReport>;
  const recent = Object.fromEntries(SURFACES.map((s) => [s, [] as string[]])) as Record<SurfaceName, string[]>;
  const baselines = new Map<string, Usage>();
  let warmedUp = false;
  /** When the current rig's baseline was taken (s into the run). */
  let baselineAtS = 0;
  /** Every measured round's usage since the last rebuild. */
  let history: ProcessUsage[][] = [];
  const findings: Finding[] = [];
  const started = Date.now();
  let flipsBefore = 0;
  const timeUp = () => o.signal?.aborted || (o.seconds !== undefined && Date.now() - started >= o.seconds * 1000);
  const countsDone = () => o.counts !== undefined && SURFACES.every((s) => reports[s].inputs >= o.counts![s]);

  let hostile: HostileBackendProcess | undefined;
  let warmUpUntil = 0;
  const build = async () => {
    // Each rig's hostile backend gets a seed of its own from the surface's stream, so a rebuild does not replay it.
    let built: Rig | undefined;
    const rig = (built = await Rig.start(async (dirB) => (hostile = await HostileBackendProcess.start(prngs['hostile-backend'].u32(), dirB, (why) => built?.fail(why)))));
    baselines.clear();
    history = [];
    warmedUp = false;
    warmUpUntil = Date.now() + Math.min(WARM_UP_MAX_MS, (o.seconds ?? 0) * 1000 * WARM_UP_SHARE);
    const surfaces: Record<SurfaceName, Surface> = {
      'device-node': new DeviceNodeSurface(prngs['device-node'], rig.pair.card, await rig.deviceIds()),
      control: new ControlSurface(prngs.control, `${rig.pair.dir}/backend.sock`),
      'hostile-backend': hostile!,
      vnc: new VncSurface(prngs.vnc, rig.vncPort),
      remote: new RemoteSurface(prngs.remote, rig.remote),
    };
    // Batches a surface runs before any baseline is taken: a VNC screen's clients make the backend hold their
    // bounded backlogs and encoders, and its heap grows to that working size once; that growth is not a leak.
    for (const [name, batches] of Object.entries(WARM_UP) as [SurfaceName, number][]) {
      for (let b = 0; b < batches; b++) {
        for (let i = 0; i < BATCH[name]; i++) await surfaces[name].step().catch(() => undefined);
        await surfaces[name].endBatch();
        await surfaces[name].probe().catch(() => undefined);
        await sleep(500);
      }
    }
    return { rig, surfaces };
  };
  let { rig, surfaces } = await build();
  const progress = setInterval(() => {
    const t = Math.round((Date.now() - started) / 1000);
    log(`[${t}s] ${SURFACES.map((s) => `${s} ${reports[s].inputs}`).join(' · ')} | flips ${flipsBefore + rig.flips} | crashes ${findings.filter((f) => f.kind === 'crash').length} hangs ${findings.filter((f) => f.kind === 'hang').length} | rss MiB ${Object.entries(rig.usage()).map(([l, u]) => `${l} ${Math.round(u.rssKb / 1024)}`).join(', ')}`);
    if (!rig.failure && Date.now() - rig.lastProgress > hangMs) rig.fail(`the honest client's flips stopped (none completed for ${hangMs} ms)`);
  }, 5000);

  /** One finding for a failure of the rig, blamed on the surface that attacks what failed; the rig is rebuilt. */
  const record = async (active: SurfaceName[], probeFailed: SurfaceName[]) => {
    const kind = rig.crashed ? 'crash' : 'hang';
    const exited = rig.exitedLabel;
    const blamed = active.filter((n) => (exited && exited !== 'honest client' ? surfaces[n].targets.includes(exited) : probeFailed.length ? probeFailed.includes(n) : true));
    const suspects = blamed.length ? blamed : active;
    const surface = suspects[0]!;
    const lastInputs = suspects.flatMap((n) => (suspects.length > 1 ? recent[n].map((l) => `[${n}] ${l}`) : [...recent[n]]));
    const f: Finding = { surface, kind, what: rig.failure ?? 'unknown', atInput: reports[surface].inputs, lastInputs };
    findings.push(f);
    reports[surface][kind === 'crash' ? 'crashes' : 'hangs']++;
    log(`!! ${kind} on ${suspects.join(' + ')} at input ${f.atInput} (seed ${o.seed}): ${f.what}`);
    for (const l of f.lastInputs) log(`   ${l}`);
    flipsBefore += rig.flips;
    rig.flips = 0;
    await surfaces['hostile-backend'].endBatch();
    await hostile?.close();
    await rig.stop();
    ({ rig, surfaces } = await build());
  };

  const wanted = (name: SurfaceName) => (!o.only || o.only.includes(name)) && !(o.counts && reports[name].inputs >= o.counts[name]);
  /**
   * The surfaces attack their own processes at the same time (the honest client flipping throughout); a round
   * lasts until each has had at least its batch, the faster ones going on meanwhile, so that each gets the
   * machine's time it can use.
   */
  const round = async (active: SurfaceName[]) => {
    const done = new Set<SurfaceName>();
    // A long run's rounds last a while: each ends with probes and a settle, time in which nothing is attacked.
    const until = Date.now() + (o.seconds !== undefined ? LONG_ROUND_MS : 0);
    const over = () => rig.failure !== undefined || timeUp() || (done.size === active.length && Date.now() >= until);
    await Promise.all(
      active.map(async (name) => {
        const surface = surfaces[name];
        for (let i = 0; !over() && wanted(name); i++) {
          // A fuzzer bug must not end the run: it shows as the input's description.
          const what = await surface.step().catch((e: unknown) => `fuzzer error: ${(e as Error).stack ?? String(e)}`);
          reports[name].inputs++;
          recent[name].push(what);
          if (recent[name].length > LAST_INPUTS) recent[name].shift();
          if (i + 1 >= BATCH[name] || !wanted(name)) done.add(name);
          // The surfaces share this process's loop: each yields after a share of steps, which divides the loop's
          // time between them (the device node's inputs are the cheapest, and its surface the widest).
          if ((i + 1) % YIELD_EVERY[name] === 0) await new Promise((res) => setImmediate(res));
        }
        done.add(name);
      }),
    );
  };

  try {
    while (!timeUp() && !countsDone()) {
      const active = SURFACES.filter(wanted);
      const before = await rig.usageAfterGc();
      // The baseline is taken after a first round (and, in a long run, its warm-up share): by then each process has
      // compiled its hot paths and grown its heap to a working size, which is not a leak; what grows after that is.
      if (warmedUp && baselines.size === 0) baselineAtS = Math.round((Date.now() - started) / 1000);
      if (warmedUp) for (const [label, u] of Object.entries(before)) if (!baselines.has(label)) baselines.set(label, u);
      await round(active);
      for (const name of active) await surfaces[name].endBatch();
      const probeFailed: SurfaceName[] = [];
      if (!rig.failure) {
        await Promise.all(
          active.map(async (name) => {
            const answered = await Promise.race([surfaces[name].probe().then(() => true, () => false), failed(rig, hangMs * 3)]);
            if (!answered) probeFailed.push(name);
          }),
        );
        if (probeFailed.length && !rig.failure) rig.fail(`${probeFailed.join(', ')}: the probe request got no answer`);
      }
      // A failure during the round (exit or hang) belongs to it; a process exit shows after a moment.
      await sleep(500);
      if (rig.failure) {
        await record(active, probeFailed);
        continue;
      }
      await settle(rig, before);
      const after = await rig.usageAfterGc();
      const previous = history.at(-1);
      const usage = Object.keys(after).map((label) => {
        const base = baselines.get(label) ?? before[label]!;
        const a = after[label]!;
        const peakRssKb = Math.max(previous?.find((u) => u.label === label)?.peakRssKb ?? 0, a.rssKb);
        const rssOver = !TOOL_PROCESSES.includes(label) && grew(base.rssKb, peakRssKb, 0);
        return { label, before: base, after: a, leak: false, peakRssKb, rssOver }; // leak: judged over the rounds at the end
      });
      if (warmedUp) {
        for (const name of active) reports[name].usage = usage;
        history.push(usage);
      }
      // Each round's heaps, so that a long run shows whether a growth goes on or levels off.
      log(`[${Math.round((Date.now() - started) / 1000)}s] round done; after a full collection, heap / RSS MiB: ${usage.map((u) => `${u.label} ${mib(u.after.heapKb)} / ${mib(u.after.rssKb)}`).join(', ')}`);
      warmedUp = Date.now() >= warmUpUntil;
    }
  } finally {
    clearInterval(progress);
    flipsBefore += rig.flips;
    await surfaces['hostile-backend'].endBatch().catch(() => undefined);
    await hostile?.close();
    await rig.stop();
  }
  judgeLeaks(history);
  // The usage is every process's, whichever surfaces ran last: each surface that was measured shows the final verdict.
  const final = history.at(-1);
  if (final) for (const s of SURFACES) if (reports[s].usage.length > 0) reports[s].usage = final;
  const surfaceReports = SURFACES.map((s) => reports[s]);
  return {
    seed: o.seed,
    seconds: Math.round((Date.now() - started) / 1000),
    flips: flipsBefore,
    surfaces: surfaceReports,
    findings,
    usage: history.at(-1) ?? [],
    baselineAtS,
    clean: findings.length === 0 && surfaceReports.every((r) => r.usage.every((u) => !u.leak && !u.rssOver)),
  };
}

/**
 * A leak goes on growing, and it raises a heap's floor. A heap read after a full collection still swings between
 * rounds (the fuzzer's own went between 9.6 and 13.7 MiB and back over a 600 s run, never growing), so the last
 * round's heap is judged by its lowest reading over the later half of the rounds (the last two at least). A process
 * flagged then is cleared when its fds and heap did not grow over that second half (it reached its working
 * size early on: compiled code, bounded queues filling). With fewer than three rounds there is no second half to tell
 * by, and the flag stands.
 */
export function judgeLeaks(history: ProcessUsage[][]): void {
  const last = history.at(-1);
  if (!last) return;
  const half = history.slice(Math.floor((history.length - 1) / 2));
  for (const u of last) {
    const floor = Math.min(...half.map((round) => round.find((x) => x.label === u.label)?.after.heapKb ?? u.after.heapKb));
    u.leak = grew(u.before.fds, u.after.fds, 2) || grew(u.before.heapKb, floor, 1024);
  }
  const mid = history.length >= 3 ? history[Math.floor(history.length / 2)] : undefined;
  if (!mid) return;
  for (const u of last) {
    const m = mid.find((x) => x.label === u.label);
    if (u.leak && m && !grew(m.after.fds, u.after.fds, 2) && !grew(m.after.heapKb, u.after.heapKb, 1024)) u.leak = false;
  }
}

/** Resolves false once the rig failed (a crash or stopped flips) or `ms` passed: a probe waits no longer. */
async function failed(rig: Rig, ms: number): Promise<false> {
  const deadline = Date.now() + ms;
  while (!rig.failure && Date.now() < deadline) await sleep(200);
  return false;
}

/** Waits (up to 5 s) for every process's fd count to come back to where it was before the batch. */
async function settle(rig: Rig, before: Record<string, Usage>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!Object.entries(rig.usage()).every(([l, u]) => u.fds <= (before[l]?.fds ?? 0)) && Date.now() <= deadline) await sleep(100);
}

const mib = (kb: number) => (kb < 0 ? '?' : (kb / 1024).toFixed(1));

/** The summary block `npm run fuzz` prints. */
export function formatReport(r: FuzzReport): string {
  const lines = [`fuzz summary: seed ${r.seed}, ${r.seconds} s, honest flips ${r.flips}, ${r.clean ? 'CLEAN' : 'FAILED'}`];
  for (const s of r.surfaces) {
    const leaks = s.usage.filter((u) => u.leak || u.rssOver).map((u) => u.label);
    lines.push(`  ${s.name.padEnd(16)} inputs ${String(s.inputs).padStart(8)}  crashes ${s.crashes}  hangs ${s.hangs}${leaks.length ? `  LEAK? in ${leaks.join(', ')}` : ''}`);
  }
  lines.push(`  after the last round, against the baseline taken ${r.baselineAtS} s in (after a full collection; rss peak: the highest after any round since):`);
  for (const u of r.usage) {
    const peak = u.before.rssKb > 0 ? `peak ${mib(u.peakRssKb)}, ${u.peakRssKb >= u.before.rssKb ? '+' : ''}${((u.peakRssKb / u.before.rssKb - 1) * 100).toFixed(1)}%` : 'peak ?';
    const judged = TOOL_PROCESSES.includes(u.label) ? ', not judged' : '';
    lines.push(`    ${u.label.padEnd(14)} fds ${u.before.fds} → ${u.after.fds}  heap ${mib(u.before.heapKb)} → ${mib(u.after.heapKb)} MiB  rss ${mib(u.before.rssKb)} → ${mib(u.after.rssKb)} MiB (${peak}${judged})${u.leak ? '  LEAK?' : ''}${u.rssOver ? '  RSS > 5%' : ''}`);
  }
  for (const f of r.findings) {
    lines.push(`  ${f.kind} on ${f.surface} at input ${f.atInput}: ${f.what}`);
    for (const l of f.lastInputs) lines.push(`      ${l}`);
  }
  return lines.join('\n');
}
