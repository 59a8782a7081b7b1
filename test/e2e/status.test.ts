// What the admin status says about a frontend: its XenBus states, and the frame-done timeouts and link-status it
// publishes under its own store directory (which only the frontend knows); a value that is not a count is ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { adminCall } from '../../cli/admin-client.js';
import { startPair, type Pair } from '../../cli/processes.js';
import type { PeerStatus } from '../../backend/server.js';
import { RawFrontend } from '../helpers/raw-frontend.js';

describe('status of a frontend', () => {
  let pair: Pair;
  let fe: RawFrontend;
  beforeAll(async () => {
    pair = await startPair({ connectors: '64x48' });
    fe = await RawFrontend.connect(join(pair.dir, 'backend.sock'));
  });
  afterAll(async () => {
    fe?.close();
    await pair?.stop();
  });

  const mine = async () => (await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' })).find((p) => p.domid === 2)!;

  it('shows the published frame-done timeouts and link-status, null until published', async () => {
    expect((await mine()).connectors[0]).toMatchObject({ frameDoneTimeouts: null, linkStatus: null, enabled: false, mode: null, flips: 0, fps: 0 });
    fe.store.transaction([
      [`${fe.feDir}/0/frame-done-timeouts`, '3'],
      [`${fe.feDir}/0/link-status`, 'Bad'],
    ]);
    await fe.granter.sync();
    expect(await mine()).toMatchObject({ frontendState: 'Initialised', backendState: 'Connected', stalled: false, connectors: [{ frameDoneTimeouts: 3, linkStatus: 'Bad' }] });
    fe.store.write(`${fe.feDir}/0/frame-done-timeouts`, 'many');
    await fe.granter.sync();
    expect((await mine()).connectors[0]!.frameDoneTimeouts).toBeNull();
  });
});
