// be-alloc: the backend allocates the display buffers (DBUF_CREATE with REQ_ALLOC) and grants them; the frontend
// hands the backend's memfd to its clients, so a client draws straight into backend-made pages. On unplug that
// storage is still released at once (the 2018 design review's point): under zero-page a client reads zeros.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { adminCall } from '../../cli/admin-client.js';
import type { PeerStatus } from '../../backend/server.js';
import { startPair } from '../../cli/processes.js';
import { until } from '../helpers/until.js';

const memfdMaps = (pid: number, name: string) => readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => l.includes(name)).length;

describe('be-alloc', () => {
  it('backend-made buffers are drawn into by the client, scanned out, freed, and emptied on unplug', async () => {
    const pair = await startPair({ connectors: '128x64', unpaced: true, backendArgs: ['--be-alloc'], frontendArgs: ['--unplug-policy', 'zero-page'] });
    try {
      const bePid = pair.backend.child.pid!;
      const card = Card.open(pair.card);
      const out = await findOutput(card, 0);
      const d = await card.createDumb(128, 64, 32);
      const map = await card.mapDumb(d.handle);
      // The buffer's pages are the backend's: mapped in the backend under its own memfd name.
      expect(memfdMaps(bePid, 'pvdisplay-be-buffer')).toBe(1);
      map.words.fill(0xff123456);
      const fb = await card.addFb2(128, 64, XRGB8888.fourcc, d.handle, d.pitch);
      const d2 = await card.createDumb(128, 64, 32);
      const fb2 = await card.addFb2(128, 64, XRGB8888.fourcc, d2.handle, d2.pitch);
      await card.setCrtc(out.crtcId, fb2, 0, 0, [out.connector.connector_id], out.mode);
      await card.pageFlip(out.crtcId, fb, 1n);
      await card.nextEvent(3000);
      const status = await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' });
      expect(status[0]!.connectors[0]!.lastCrc).toBe(crc32(new Uint8Array(new Uint32Array(128 * 64).fill(0xff123456).buffer)));
      // Destroyed buffers go back: the backend unmaps them.
      await card.rmFb(fb2);
      await card.destroyDumb(d2.handle);
      await until(() => memfdMaps(bePid, 'pvdisplay-be-buffer') === 1);
      expect(memfdMaps(bePid, 'pvdisplay-be-buffer')).toBe(1);
      // Unplug: the storage is released at once, the client reads zeros.
      pair.backend.child.kill('SIGKILL');
      await pair.frontend.waitLine(/backend lost/);
      expect(map.words[100]).toBe(0);
      map.unmap();
      card.close();
    } finally {
      await pair.stop(); // the backend too, if the test failed before it went
    }
  });
});
