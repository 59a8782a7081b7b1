// A client truncates the memfd behind a buffer the backend scans out. The backend's SIGBUS guard must absorb the
// fault: the backend keeps running and serving, and reports the buffer as faulted (its pages now read as zeros).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as native from '../../shared/native/index.js';
import { adminCall } from '../../cli/admin-client.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import type { PeerStatus } from '../../backend/server.js';
import { startPair, type Pair } from '../../cli/processes.js';

describe('truncated buffer under scanout', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ connectors: '256x128', unpaced: true });
  });
  afterAll(async () => pair?.stop());

  it('the backend survives, keeps serving and reports the fault', async () => {
    const card = Card.open(pair.card);
    try {
      const out = await findOutput(card, 0);
      const fbs: number[] = [];
      let victim = -1;
      for (let i = 0; i < 2; i++) {
        const d = await card.createDumb(256, 128, 32);
        const m = await card.mapDumbFd(d.handle);
        if (i === 1) victim = m.fd;
        else native.close(m.fd);
        fbs.push(await card.addFb2(256, 128, XRGB8888.fourcc, d.handle, d.pitch));
      }
      await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
      native.truncate(victim, 0);
      native.close(victim);
      await card.pageFlip(out.crtcId, fbs[1]!, 1n); // the backend computes the CRC over the truncated pages
      expect((await card.nextEvent()).userData).toBe(1n);
      const status = await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' });
      expect(status[0]!.connectors[0]).toMatchObject({ faulted: true, frames: 1 });
      await card.pageFlip(out.crtcId, fbs[0]!, 2n);
      expect((await card.nextEvent()).userData).toBe(2n);
      expect(pair.backend.child.exitCode).toBeNull();
    } finally {
      card.close();
    }
  });
});
