// KMS.md 1.1 core_hotunplug mapped onto pvdisplay: unbind / unplug = the backend dies (SIGKILL) or closes
// (SIGTERM); bind / rescan = a backend starts again in the same runtime dir. Plus the §3 UNP rows that apply and
// the libdrm amdgpu hot-unplug rows (§1.13) under the zero-page policy.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as native from '../../shared/native/index.js';
import { waitSignalled } from '../../shared/fence.js';
import { Card } from '../../frontend/client/card.js';
import { run, startPair, type Pair } from '../../cli/processes.js';
import { fails } from '../conformance/fixture.js';

type Gone = 'SIGKILL' | 'SIGTERM';

async function backendGoes(pair: Pair, how: Gone): Promise<void> {
  pair.backend.child.kill(how);
  await pair.backend.exited();
  await pair.frontend.waitLine(/backend lost/);
}

function backendComes(pair: Pair): ReturnType<typeof run> {
  return run(['backend', '--runtime-dir', pair.dir, '--connectors', '320x240']);
}

/** IGT's health check: after a moment the (re-scanned) node opens and answers. */
async function healthy(pair: Pair, name: string): Promise<void> {
  const path = join(pair.dir, 'dri', name);
  // Not the path's existence: the socket file is bound a moment before it listens (a connect in between is
  // ECONNREFUSED, seen under load). The ready line comes once it listens; a new backend takes seconds under load.
  await pair.frontend.waitLine(new RegExp(`^frontend ready: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `), 30_000);
  const card = Card.open(path);
  expect((await card.call('VERSION', {})).name).toBe('pvdisplay');
  const res = await card.call('MODE_GETRESOURCES', {});
  expect(res.connectors.length).toBe(1);
  card.close();
}

describe.each<{ how: Gone; verb: string }>([
  { how: 'SIGKILL', verb: 'unbind/rebind (backend killed)' },
  { how: 'SIGTERM', verb: 'unplug/rescan (backend closed)' },
])('core_hotunplug, $verb', ({ how }) => {
  const pairOpts = { connectors: '320x240', frontendArgs: ['--unplug-policy', 'zero-page'] };

  it('HU-01/02: no fd open: the node goes, a new one comes and is healthy', async () => {
    const pair = await startPair(pairOpts);
    try {
      await backendGoes(pair, how);
      expect(existsSync(pair.card)).toBe(false);
      const again = backendComes(pair);
      try {
        await healthy(pair, 'card1');
      } finally {
        await again.stop();
      }
    } finally {
      await pair.stop(); // the backend too, if the test failed before it went
    }
  });

  it('HU-03/04: fd open: unplug completes, the stale fd closes cleanly, the new instance is healthy', async () => {
    const pair = await startPair(pairOpts);
    try {
      const stale = Card.open(pair.card);
      await stale.call('VERSION', {});
      await backendGoes(pair, how); // UNP-01: does not wait for the open fd
      stale.close();
      await pair.frontend.waitLine(/card0 freed/);
      const again = backendComes(pair);
      try {
        await healthy(pair, 'card1');
      } finally {
        await again.stop();
      }
    } finally {
      await pair.stop(); // the backend too, if the test failed before it went
    }
  });

  it('HU-05/06 and HU-07/08: a new instance while the old fd is open; the late close does not disturb it', async () => {
    const pair = await startPair(pairOpts);
    try {
      const stale = Card.open(pair.card);
      await stale.call('VERSION', {});
      await backendGoes(pair, how);
      const again = backendComes(pair);
      try {
        await healthy(pair, 'card1'); // UNP-16/17: a different node, fully usable beside the zombie
        stale.close();
        await pair.frontend.waitLine(/card0 freed/);
        await healthy(pair, 'card1');
      } finally {
        await again.stop();
      }
    } finally {
      await pair.stop(); // the backend too, if the test failed before it went
    }
  });
});

describe('after unplug (KMS.md §3, §1.13 under zero-page)', () => {
  it('UNP-03/04/05/07/10/11, AHU-01/03/04: ENODEV everywhere, queued events readable, fences force-signalled, mappings survive', async () => {
    const pair = await startPair({ connectors: '320x240', unpaced: true, frontendArgs: ['--unplug-policy', 'zero-page'] });
    try {
      const card = Card.open(pair.card);
      const d = await card.createDumb(64, 64, 32);
      const dmabuf = await card.primeHandleToFd(d.handle, 0o2000002);
      const map = native.map(dmabuf, 0, d.size, true);
      new Uint32Array(map).fill(0xabcdabcd);
      const blob = (await card.call('MODE_CREATEPROPBLOB', { data: new Uint8Array(8) })).blob_id;
      // A queued event (a vblank wait that fires at once) sits unread when the backend goes.
      const res = await card.call('MODE_GETRESOURCES', {});
      const conn = await card.call('MODE_GETCONNECTOR', { connector_id: res.connectors[0]! });
      const fb = await card.addFb2(320, 240, 0x34325258, (await card.createDumb(320, 240, 32)).handle, 1280);
      await card.setCrtc(res.crtcs[0]!, fb, 0, 0, [conn.connector_id], conn.modes[0]!);
      const release = await card.callWithFds('PRIME_EXPORT_FENCE', { handle: (await card.call('MODE_GETFB', { fb_id: fb })).handle });
      await card.call('WAIT_VBLANK', { type: 0x1 | 0x4000000, sequence: 0, signal: 5 });
      await backendGoes(pair, 'SIGKILL');
      // UNP-07: what was queued before is still there.
      expect((await card.nextEvent(30_000)).userData).toBe(5n);
      // UNP-03 / UNP-04 / UNP-11: every call, getters and cleanup included, is ENODEV.
      await fails(card.call('VERSION', {}), 'ENODEV');
      await fails(card.call('GET_CAP', { capability: 1 }), 'ENODEV');
      await fails(card.call('MODE_GETRESOURCES', {}), 'ENODEV');
      await fails(card.call('MODE_GETCONNECTOR', { connector_id: conn.connector_id }), 'ENODEV');
      await fails(card.call('GEM_CLOSE', { handle: d.handle }), 'ENODEV');
      await fails(card.rmFb(fb), 'ENODEV');
      await fails(card.destroyDumb(d.handle), 'ENODEV');
      await fails(card.call('MODE_DESTROYPROPBLOB', { blob_id: blob }), 'ENODEV');
      await fails(card.call('MODE_MAP_DUMB', { handle: d.handle }), 'ENODEV');
      await fails(card.primeFdToHandle(dmabuf), 'ENODEV');
      // UNP-05: the stale path is gone.
      expect(() => Card.open(pair.card)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      // UNP-10 / AHU-04: the fence of a buffer that was on screen is force-signalled.
      expect(await waitSignalled(release.fds[0]!, 1000)).toBe(true);
      // UNP-12/13 / AHU-03 (zero-page): a read gives zeros, a write completes, no signal.
      const words = new Uint32Array(map);
      expect(words[7]).toBe(0);
      words[7] = 0x1234;
      expect(words[7]).toBe(0x1234);
      native.unmap(map);
      native.close(dmabuf);
      native.close(release.fds[0]!);
      card.close(); // UNP-06
      await pair.frontend.waitLine(/card0 freed/);
    } finally {
      await pair.stop(); // the backend too, if the test failed before it went
    }
  });
});
