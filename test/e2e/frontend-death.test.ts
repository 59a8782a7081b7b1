// The reverse of unplug: a frontend that dies (SIGKILL) loses everything it had on the backend — its domain, rings,
// shared segments and fds — while the backend keeps serving its other frontends.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { adminCall } from '../../cli/admin-client.js';
import type { PeerStatus } from '../../backend/server.js';
import { run } from '../../cli/processes.js';
import { until } from '../helpers/until.js';

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function flips(card: Card, n: number): Promise<void> {
  const out = await findOutput(card, 0);
  const fbs = [];
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(320, 240, 32);
    fbs.push(await card.addFb2(320, 240, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  for (let i = 0; i < n; i++) {
    await card.pageFlip(out.crtcId, fbs[(i + 1) % 2]!, BigInt(i));
    await card.nextEvent(3000);
  }
}

describe('a frontend dies', () => {
  it('the backend frees its domain and keeps serving the other frontend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-two-'));
    const backend = run(['backend', '--runtime-dir', dir, '--connectors', '320x240', '--unpaced']);
    try {
      await backend.waitLine(/backend listening/);
      const bePid = backend.child.pid!;
      const feB = run(['frontend', '--runtime-dir', dir]);
      await feB.waitLine(/frontend ready: .*card0/);
      const cardB = Card.open(join(dir, 'dri', 'card0'));
      await flips(cardB, 5);
      const baseline = fds(bePid);
      const feA = run(['frontend', '--runtime-dir', dir]);
      await feA.waitLine(/frontend ready: .*card1/);
      const cardA = Card.open(join(dir, 'dri', 'card1'));
      await flips(cardA, 5);
      expect((await adminCall<PeerStatus[]>(join(dir, 'admin.sock'), { cmd: 'status' })).length).toBe(2);
      expect(fds(bePid)).toBeGreaterThan(baseline);
      feA.child.kill('SIGKILL');
      await feA.exited();
      cardA.close();
      await until(async () => (await adminCall<PeerStatus[]>(join(dir, 'admin.sock'), { cmd: 'status' })).length === 1);
      // The admin connections of the status calls close a moment after their answers.
      await until(() => fds(bePid) === baseline);
      expect(fds(bePid)).toBe(baseline);
      // B goes on as if nothing happened.
      const out = await findOutput(cardB, 0);
      const crtc = await cardB.call('MODE_GETCRTC', { crtc_id: out.crtcId });
      await cardB.pageFlip(out.crtcId, crtc.fb_id, 99n);
      expect((await cardB.nextEvent(3000)).userData).toBe(99n);
      cardB.close();
      await feB.stop();
    } finally {
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
