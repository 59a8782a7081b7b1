// The processes the fuzzer attacks and watches: a real backend (serving its screens over VNC too, and listening on
// ws:// for the remote surface) + frontend pair (runtime dir A) with the honest client flipping on its card0, and a
// second real frontend (runtime dir B) connected to the hostile-backend surface's fake backend. Any of them
// exiting, or the honest client's flips stopping, is recorded as a failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, fdCount, procOf, run, startPair, type Pair, type Proc } from '../cli/processes.js';
import { Card } from '../frontend/client/card.js';
import type { DeviceIds } from './device-node.js';
import { INSPECTABLE, collectGarbage, collectOwnGarbage } from '../cli/gc.js';
import type { RemoteTarget } from './remote.js';

/** Output lines kept per process: where it listens (the first ones) and what it said before a failure. */
const MAX_LINES = 400;

export interface Usage {
  fds: number;
  rssKb: number;
  /** JS heap in use after a full collection (KiB); -1 where not measured. */
  heapKb: number;
}

/** The hostile backend's process, as the rig watches it. */
export interface FakeBackendProcess {
  readonly pid: number;
  collectGarbage(): Promise<number | undefined>;
}

export class Rig {
  failure: string | undefined;
  /** A process exited: the failure is a crash, whatever was noticed first. */
  crashed = false;
  private targetExited = false;
  /** The label of the process whose exit is the failure (the surface that attacks it is to blame). */
  exitedLabel: string | undefined;
  flips = 0;
  lastProgress = Date.now();
  private stopping = false;

  private constructor(
    readonly pair: Pair,
    readonly honest: Proc,
    readonly dirB: string,
    readonly frontendB: Proc,
    /** The port of the backend's VNC screen (domain 1, connector 0). */
    readonly vncPort: number,
    /** The process playing the second frontend's backend (a fuzzer of its own: its fds must come back too). */
    private readonly fakeBackend: FakeBackendProcess,
  ) {
    const watch = (label: string, p: Proc) =>
      void p.exited().then((e) => {
        if (this.stopping) return;
        // An exit explains a probe that failed or flips that stopped, and the exit of an attacked process explains
        // the honest client's, so each replaces what was noticed before it.
        if (!this.crashed || (label !== 'honest client' && !this.targetExited)) this.failure = undefined;
        this.crashed = true;
        if (label !== 'honest client') this.targetExited = true;
        if (!this.exitedLabel || this.exitedLabel === 'honest client') this.exitedLabel = label;
        // What a dying Node process printed last: its error and the stack that says where it was thrown.
        const error = p.lines.length - 1 - [...p.lines].reverse().findIndex((l) => /^\w*Error\b/.test(l));
        const shown = error < p.lines.length ? p.lines.slice(Math.max(0, error - 6), error + 8) : p.lines.slice(-6);
        this.fail(`${label} exited (${e.signal ?? `code ${e.code}`}); last output:\n      ${shown.join('\n      ')}`);
      });
    watch('backend', pair.backend);
    watch('frontend', pair.frontend);
    watch('honest client', honest);
    watch('frontend-b', frontendB);
    createInterface({ input: honest.child.stdout! }).on('line', (l) => {
      const m = /^flips (\d+)/.exec(l);
      if (m) {
        this.flips = Number(m[1]);
        this.lastProgress = Date.now();
      }
    });
  }

  /** `startFakeBackend` listens on the given runtime dir's backend.sock before the second frontend starts. */
  static async start(startFakeBackend: (dir: string) => Promise<FakeBackendProcess>): Promise<Rig> {
    // Every process is inspectable (loopback, a free port) so that the JS heap can be read after a full collection.
    const pair = await startPair({ connectors: '640x480', backendArgs: ['--vnc', '127.0.0.1:0', '--listen', 'ws://127.0.0.1:0'], env: INSPECTABLE, maxLines: MAX_LINES });
    const vncPort = Number(/:(\d+) \(security/.exec(await pair.backend.waitLine(/^vnc: domain 1 connector 0 on /))![1]);
    const honest = runHonest(pair.card);
    await honest.waitLine(/honest client ready/, 30_000);
    const dirB = mkdtempSync(join(tmpdir(), 'pvd-fuzz-b-'));
    const fake = await startFakeBackend(dirB);
    const frontendB = run(['frontend', '--runtime-dir', dirB, '--response-timeout', '500', '--frame-done-timeout', '500'], INSPECTABLE, { maxLines: MAX_LINES });
    await frontendB.waitLine(/frontend ready/, 30_000);
    return new Rig(pair, honest, dirB, frontendB, vncPort, fake);
  }

  /** Where the backend serves remote frontends, and its token (what the remote surface attacks). */
  get remote(): RemoteTarget {
    const line = (re: RegExp) => re.exec(this.pair.backend.lines.find((l) => re.test(l)) ?? '')?.[1] ?? '';
    return { url: line(/^remote frontends: (\S+)/), token: line(/^token: (\S+)/) };
  }

  fail(what: string): void {
    this.failure ??= what;
  }

  /** The attacked processes, the honest client, and the fuzzer itself (whose own fds must come back too). */
  get pids(): Record<string, number> {
    return { backend: this.pair.backend.child.pid!, frontend: this.pair.frontend.child.pid!, 'honest client': this.honest.child.pid!, 'frontend-b': this.frontendB.child.pid!, fuzzer: process.pid, 'hostile fuzzer': this.fakeBackend.pid };
  }

  /** Full garbage collections in every process; the usage then, with each one's JS heap in use. */
  async usageAfterGc(): Promise<Record<string, Usage>> {
    const procs: Record<string, Proc> = { backend: this.pair.backend, frontend: this.pair.frontend, 'honest client': this.honest, 'frontend-b': this.frontendB };
    const heaps: Record<string, number | undefined> = Object.fromEntries(await Promise.all(Object.entries(procs).map(async ([l, p]) => [l, await collectGarbage(p.lines)] as const)));
    heaps.fuzzer = await collectOwnGarbage();
    heaps['hostile fuzzer'] = await this.fakeBackend.collectGarbage();
    const out = this.usage();
    for (const [label, u] of Object.entries(out)) u.heapKb = heaps[label] !== undefined ? Math.round(heaps[label]! / 1024) : -1;
    return out;
  }

  usage(): Record<string, Usage> {
    const out: Record<string, Usage> = {};
    for (const [label, pid] of Object.entries(this.pids)) {
      try {
        const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        out[label] = { fds: fdCount(pid), rssKb: Number(rss?.[1] ?? 0), heapKb: -1 };
      } catch {
        out[label] = { fds: -1, rssKb: -1, heapKb: -1 };
      }
    }
    return out;
  }

  /** The objects of card0, for the device-node surface's templates. */
  async deviceIds(): Promise<DeviceIds> {
    const card = Card.open(this.pair.card);
    try {
      const res = await card.call('MODE_GETRESOURCES', {});
      const planes = await card.call('MODE_GETPLANERESOURCES', {});
      return { crtcs: res.crtcs, connectors: res.connectors, encoders: res.encoders, planes: planes.planes };
    } finally {
      card.close();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.honest.stop('SIGKILL');
    await this.frontendB.stop('SIGKILL');
    await this.pair.frontend.stop('SIGKILL');
    await this.pair.backend.stop('SIGKILL');
    rmSync(this.pair.dir, { recursive: true, force: true });
    rmSync(this.dirB, { recursive: true, force: true });
  }
}

function runHonest(card: string): Proc {
  const child = spawn(process.execPath, [join(ROOT, 'dist/fuzz/honest-client.js'), card], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...INSPECTABLE } });
  return procOf(child, MAX_LINES);
}
