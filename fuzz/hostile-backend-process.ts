// The hostile-backend surface run in a process of its own (fuzz/hostile-backend-child.ts). Its fake backend walks a
// frontend through a handshake of many round trips per session; inside the fuzzer's loop, behind the other
// surfaces' inputs, each of those waited its turn and the surface got a tenth of the inputs it gets alone. Here the
// child runs its inputs freely between `run` and `pause`; each step() hands on the description of one input it made.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../cli/processes.js';
import type { Surface } from './surface.js';

/** What the fuzzer tells the child. */
export type ToChild = { t: 'start'; seed: number; dir: string } | { t: 'run' } | { t: 'pause' } | { t: 'probe' } | { t: 'collect' };
/** What the child answers: inputs come in small batches, each pause, probe and collect gets one answer. */
export type FromChild = { t: 'ready' } | { t: 'inputs'; list: string[] } | { t: 'paused' } | { t: 'probed'; error?: string } | { t: 'collected'; heapBytes?: number };

export class HostileBackendProcess implements Surface {
  readonly name = 'hostile-backend';
  readonly targets = ['frontend-b'];
  private readonly child: ChildProcess;
  private readonly inputs: string[] = [];
  private running = false;
  /** Answers not yet taken: IPC may deliver several messages before an awaiting caller runs again. */
  private readonly replies: FromChild[] = [];
  private wake: () => void = () => undefined;
  private exited = false;
  private closing = false;

  /** Starts the child with its fake backend listening on `dir`'s backend.sock; `onExit` hears of an early death. */
  static async start(seed: number, dir: string, onExit: (why: string) => void): Promise<HostileBackendProcess> {
    const p = new HostileBackendProcess(onExit);
    p.send({ t: 'start', seed, dir });
    if ((await p.next('ready')) === undefined) throw new Error('the hostile-backend fuzzer process did not start');
    return p;
  }

  private constructor(onExit: (why: string) => void) {
    this.child = fork(join(ROOT, 'dist/fuzz/hostile-backend-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromChild) => {
      if (m.t === 'inputs') this.inputs.push(...m.list);
      else this.replies.push(m);
      this.wake();
    });
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      this.wake();
      if (!this.closing) onExit(`the hostile-backend fuzzer process exited (${signal ?? `code ${code}`})`);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private send(m: ToChild): void {
    if (!this.exited) this.child.send(m);
  }

  /** Resolves at the child's next message or exit. */
  private changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** The next answer of kind `t` (undefined once the child is gone). */
  private async next(t: Exclude<FromChild['t'], 'inputs'>): Promise<FromChild | undefined> {
    for (;;) {
      const i = this.replies.findIndex((m) => m.t === t);
      if (i >= 0) return this.replies.splice(i, 1)[0];
      if (this.exited) return undefined;
      await this.changed();
    }
  }

  async step(): Promise<string> {
    if (!this.running) {
      this.running = true;
      this.send({ t: 'run' });
    }
    while (this.inputs.length === 0) {
      if (this.exited) return 'fuzzer error: the hostile-backend process is gone';
      await this.changed();
    }
    return this.inputs.shift()!;
  }

  async endBatch(): Promise<void> {
    this.running = false;
    this.send({ t: 'pause' });
    await this.next('paused');
  }

  async probe(): Promise<void> {
    this.send({ t: 'probe' });
    const m = await this.next('probed');
    if (m === undefined) throw new Error('the hostile-backend fuzzer process is gone');
    if (m.t === 'probed' && m.error) throw new Error(m.error);
  }

  /** A full garbage collection in the child; the JS heap it then uses (undefined once the child is gone). */
  async collectGarbage(): Promise<number | undefined> {
    this.send({ t: 'collect' });
    const m = await this.next('collected');
    return m?.t === 'collected' ? m.heapBytes : undefined;
  }

  /** Ends the child (and with it the fake backend: its frontend sees the backend go away). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await gone;
  }
}
