// The fuzz runner, a library for `npm run fuzz` (fuzz/run.ts) and the bounded run in `npm test`: rotates the
// surfaces in batches against one rig while the honest client flips, probes each surface's peer after its
// batch, measures fds and RSS of every process before and after (after a settle period), and records crashes and
// hangs with the last inputs that led to them. After a failure the rig is rebuilt and the run goes on.
import { setTimeout as sleep } from 'node:timers/promises';
import { Prng } from './prng.js';
import { Rig, type Usage } from './rig.js';
import { DeviceNodeSurface } from './device-node.js';
import { ControlSurface } from './control.js';
import { HostileBackendSurface } from './hostile-backend.js';
import { RemoteSurface } from './remote.js';
import type { Surface } from './surface.js';

export const SURFACES = ['device-node', 'control', 'hostile-backend', 'remote'] as const;
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
  /** fds or RSS grew more than 5% over the baseline (fds: and by more than 2). */
  leak: boolean;
}

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
  /** True when there was no crash, no hang and no leak. */
  clean: boolean;
}

const BATCH: Record<SurfaceName, number> = { 'device-node': 500, control: 200, 'hostile-backend': 20, remote: 100 };
const LAST_INPUTS = 20;

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
  const findings: Finding[] = [];
  const started = Date.now();
  let flipsBefore = 0;
  const timeUp = () => o.signal?.aborted || (o.seconds !== undefined && Date.now() - started >= o.seconds * 1000);
  const countsDone = () => o.counts !== undefined && SURFACES.every((s) => reports[s].inputs >= o.counts![s]);

  let hostile: HostileBackendSurface | undefined;
  const build = async () => {
    const rig = await Rig.start((dirB) => (hostile = new HostileBackendSurface(prngs['hostile-backend'], dirB)));
    baselines.clear();
    const surfaces: Record<SurfaceName, Surface> = {
      'device-node': new DeviceNodeSurface(prngs['device-node'], rig.pair.card, await rig.deviceIds()),
      control: new ControlSurface(prngs.control, `${rig.pair.dir}/backend.sock`),
      'hostile-backend': hostile!,
      remote: new RemoteSurface(prngs.remote, rig.remote),
    };
    return { rig, surfaces };
  };
  let { rig, surfaces } = await build();
  const progress = setInterval(() => {
    const t = Math.round((Date.now() - started) / 1000);
    log(`[${t}s] ${SURFACES.map((s) => `${s} ${reports[s].inputs}`).join(' · ')} | flips ${flipsBefore + rig.flips} | crashes ${findings.filter((f) => f.kind === 'crash').length} hangs ${findings.filter((f) => f.kind === 'hang').length}`);
    if (!rig.failure && Date.now() - rig.lastProgress > hangMs) rig.fail(`the honest client's flips stopped (none completed for ${hangMs} ms)`);
  }, 5000);

  const record = async (surface: SurfaceName, kind: 'crash' | 'hang', what: string) => {
    const f: Finding = { surface, kind, what, atInput: reports[surface].inputs, lastInputs: [...recent[surface]] };
    findings.push(f);
    reports[surface][kind === 'crash' ? 'crashes' : 'hangs']++;
    log(`!! ${kind} on ${surface} at input ${f.atInput} (seed ${o.seed}): ${what}`);
    for (const l of f.lastInputs) log(`   ${l}`);
    flipsBefore += rig.flips;
    rig.flips = 0;
    await surfaces['hostile-backend'].endBatch();
    hostile?.backend.close();
    await rig.stop();
    ({ rig, surfaces } = await build());
  };

  try {
    while (!timeUp() && !countsDone()) {
      for (const name of SURFACES) {
        if (timeUp() || (o.counts && reports[name].inputs >= o.counts[name])) continue;
        const surface = surfaces[name];
        const before = rig.usage();
        for (const [label, u] of Object.entries(before)) if (!baselines.has(label)) baselines.set(label, u);
        for (let i = 0; i < BATCH[name] && !rig.failure && !timeUp(); i++) {
          if (o.counts && reports[name].inputs >= o.counts[name]) break;
          // A fuzzer bug must not end the run: it shows as the input's description.
          const what = await surface.step().catch((e: unknown) => `fuzzer error: ${(e as Error).stack ?? String(e)}`);
          reports[name].inputs++;
          recent[name].push(what);
          if (recent[name].length > LAST_INPUTS) recent[name].shift();
        }
        await surface.endBatch();
        if (!rig.failure) {
          const answered = await Promise.race([surface.probe().then(() => true, () => false), failed(rig, hangMs * 3)]);
          if (!answered && !rig.failure) rig.fail(`${name}: the probe request got no answer`);
        }
        // A failure during the batch (exit or hang) belongs to it; a process exit shows after a moment.
        await sleep(500);
        if (rig.failure) {
          await record(name, rig.crashed ? 'crash' : 'hang', rig.failure);
          continue;
        }
        const after = await settle(rig, before);
        reports[name].usage = Object.keys(after).map((label) => {
          const base = baselines.get(label) ?? before[label]!;
          const a = after[label]!;
          return { label, before: base, after: a, leak: grew(base.fds, a.fds, 2) || grew(base.rssKb, a.rssKb, 8 * 1024) };
        });
      }
    }
  } finally {
    clearInterval(progress);
    flipsBefore += rig.flips;
    await surfaces['hostile-backend'].endBatch().catch(() => undefined);
    hostile?.backend.close();
    await rig.stop();
  }
  const surfaceReports = SURFACES.map((s) => reports[s]);
  return {
    seed: o.seed,
    seconds: Math.round((Date.now() - started) / 1000),
    flips: flipsBefore,
    surfaces: surfaceReports,
    findings,
    clean: findings.length === 0 && surfaceReports.every((r) => r.usage.every((u) => !u.leak)),
  };
}

/** Resolves false once the rig failed (a crash or stopped flips) or `ms` passed: a probe waits no longer. */
async function failed(rig: Rig, ms: number): Promise<false> {
  const deadline = Date.now() + ms;
  while (!rig.failure && Date.now() < deadline) await sleep(200);
  return false;
}

/** Waits (up to 5 s) for every process's fd count to come back to where it was before the batch. */
async function settle(rig: Rig, before: Record<string, Usage>): Promise<Record<string, Usage>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = rig.usage();
    if (Object.entries(now).every(([l, u]) => u.fds <= (before[l]?.fds ?? 0)) || Date.now() > deadline) return now;
    await sleep(100);
  }
}

/** The summary block `npm run fuzz` prints. */
export function formatReport(r: FuzzReport): string {
  const lines = [`fuzz summary: seed ${r.seed}, ${r.seconds} s, honest flips ${r.flips}, ${r.clean ? 'CLEAN' : 'FAILED'}`];
  for (const s of r.surfaces) {
    lines.push(`  ${s.name.padEnd(16)} inputs ${String(s.inputs).padStart(8)}  crashes ${s.crashes}  hangs ${s.hangs}`);
    for (const u of s.usage) {
      lines.push(`    ${u.label.padEnd(14)} fds ${u.before.fds} → ${u.after.fds}  rss ${Math.round(u.before.rssKb / 1024)} → ${Math.round(u.after.rssKb / 1024)} MiB${u.leak ? '  LEAK?' : ''}`);
    }
  }
  for (const f of r.findings) {
    lines.push(`  ${f.kind} on ${f.surface} at input ${f.atInput}: ${f.what}`);
    for (const l of f.lastInputs) lines.push(`      ${l}`);
  }
  return lines.join('\n');
}
