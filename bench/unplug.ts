// Unplug latency: from the backend's SIGKILL to the frontend's node gone (a client holding card0 gets the remove
// uevent and the path is gone by then), and from a new backend listening to the frontend serving card1 (the path
// exists and a GETRESOURCES on it is answered). Reference for the first: SIGKILL of a bare child process to its
// exit being seen here, the same kill-and-notice path with no pvdisplay in it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Card } from '../frontend/client/card.js';
import { run, startPair } from '../cli/processes.js';
import { nowUs } from './flip-loop.js';
import { summarise, type Summary } from './stats.js';

export interface UnplugResult {
  /** SIGKILL → remove uevent at a client, µs. */
  gone: Summary;
  /** SIGKILL of a bare child → its exit seen, µs. */
  killReference: Summary;
  /** New backend listening → cardN+1 answers, µs. */
  served: Summary;
}

async function killReference(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.stdout.write("up\\n")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await once(child.stdout!, 'data');
  const t0 = nowUs();
  child.kill('SIGKILL');
  await once(child, 'exit');
  return nowUs() - t0;
}

/** The path appears at bind(), a moment before listen(): until then a connect is refused. */
async function openWhenServed(path: string): Promise<Card> {
  for (;;) {
    if (existsSync(path)) {
      try {
        return Card.open(path);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ECONNREFUSED') throw e;
      }
    }
    await sleep(1);
  }
}

export async function unplugLatency(rounds: number): Promise<UnplugResult> {
  const pair = await startPair({ connectors: '640x480' });
  const gone: number[] = [];
  const served: number[] = [];
  const reference: number[] = [];
  let backend = pair.backend;
  try {
    for (let k = 0; k < rounds; k++) {
      reference.push(await killReference());
      const path = join(pair.dir, 'dri', `card${k}`);
      const card = Card.open(path);
      await card.call('MODE_GETRESOURCES', {});
      const removed = new Promise<number>((resolve) => card.on('uevent', (ev) => ev.action === 'remove' && resolve(nowUs())));
      const t0 = nowUs();
      backend.child.kill('SIGKILL');
      gone.push((await removed) - t0);
      if (existsSync(path)) throw new Error(`card${k} still exists after its remove uevent`);
      await backend.exited();
      backend = run(['backend', '--runtime-dir', pair.dir, '--connectors', '640x480']);
      await backend.waitLine(/backend listening/);
      const t1 = nowUs();
      const next = join(pair.dir, 'dri', `card${k + 1}`);
      const fresh = await openWhenServed(next);
      await fresh.call('MODE_GETRESOURCES', {});
      served.push(nowUs() - t1);
      fresh.close();
      card.close();
    }
  } finally {
    await pair.frontend.stop();
    await backend.stop();
    await pair.stop();
  }
  return { gone: summarise(gone), killReference: summarise(reference), served: summarise(served) };
}
