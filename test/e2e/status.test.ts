// What the admin status says about a frontend: its XenBus states, and the frame-done timeouts and link-status it
// publishes under its own store directory (which only the frontend knows); a value that is not a count is ignored.
import { describe, expect, it } from 'vitest';
import { adminCall } from '../../cli/admin-client.js';
import type { PeerStatus } from '../../backend/server.js';
import { rawRig } from '../helpers/raw-rig.js';

describe('status of a frontend', () => {
  const rig = rawRig({ connectors: '64x48' });

  const mine = async () => (await adminCall<PeerStatus[]>(rig.pair.admin, { cmd: 'status' })).find((p) => p.domid === 2)!;

  it('shows the published frame-done timeouts and link-status, null until published', async () => {
    expect((await mine()).connectors[0]).toMatchObject({ frameDoneTimeouts: null, linkStatus: null, enabled: false, mode: null, flips: 0, fps: 0 });
    rig.fe.store.transaction([
      [`${rig.fe.feDir}/0/frame-done-timeouts`, '3'],
      [`${rig.fe.feDir}/0/link-status`, 'Bad'],
    ]);
    await rig.fe.granter.sync();
    expect(await mine()).toMatchObject({ frontendState: 'Initialised', backendState: 'Connected', stalled: false, connectors: [{ frameDoneTimeouts: 3, linkStatus: 'Bad' }] });
    rig.fe.store.write(`${rig.fe.feDir}/0/frame-done-timeouts`, 'many');
    await rig.fe.granter.sync();
    expect((await mine()).connectors[0]!.frameDoneTimeouts).toBeNull();
  });
});
