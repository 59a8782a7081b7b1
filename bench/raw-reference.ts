// The floor every flip row is compared with: the client → frontend → backend → frontend → client message path
// over plain Unix SOCK_SEQPACKET sockets, two relay processes (raw-hop.ts) that do no work at all; with `ws`, the
// middle hop (frontend ↔ backend) is a WebSocket on loopback, as with the remote transport.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import * as native from '../shared/native/index.js';
import { ROOT } from '../cli/processes.js';
import { WARMUP, nowUs } from './flip-loop.js';
import { summarise, type Summary } from './stats.js';

export async function rawReference(count: number, ws = false): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-bench-raw-'));
  const hop = join(ROOT, 'dist/bench/raw-hop.js');
  const start = async (args: string[]) => {
    const child = spawn(process.execPath, [hop, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    return { child, line };
  };
  const echoed = await start(ws ? ['ws-echo'] : ['echo', join(dir, 'be.sock')]);
  const upstream = ws ? `ws://127.0.0.1:${echoed.line.split(' ')[1]}` : join(dir, 'be.sock');
  const echo = echoed.child;
  const relay = (await start([ws ? 'ws-relay' : 'relay', join(dir, 'fe.sock'), upstream])).child;
  const fd = native.connect(join(dir, 'fe.sock'));
  let wake: () => void = () => undefined;
  const w = native.watch(fd, 'r', () => {
    while (native.recv(fd, 64)) wake();
  });
  const packet = new Uint8Array(16).fill(7);
  const samples: number[] = [];
  try {
    for (let i = 0; i < count + WARMUP; i++) {
      const t0 = nowUs();
      const got = new Promise<void>((r) => (wake = r));
      native.send(fd, packet, []);
      await got;
      if (i >= WARMUP) samples.push(nowUs() - t0);
    }
  } finally {
    w.close();
    native.close(fd);
    echo.kill();
    relay.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return summarise(samples);
}
