// Unplugging a device when its backend is gone (DESIGN §4, KMS.md §3): from now on every call fails with ENODEV,
// pending flips deliver their events (event sinks close after them), vblank waiters are released, and the storage behind every buffer is released
// at once as the device's policy says — enforced by the kernel on the shared memfds, so it holds for clients in
// any language: `sigbus` truncates (a touch raises SIGBUS), `zero-page` punches holes (reads give zeros), `keep`
// leaves the pages until the last user lets go.
import * as native from '../../shared/native/index.js';
import { logger } from '../../shared/log.js';
import type { KmsDevice } from './device.js';

const log = logger('unplug');

export type UnplugPolicy = 'sigbus' | 'zero-page' | 'keep';
export const UNPLUG_POLICIES: readonly UnplugPolicy[] = ['sigbus', 'zero-page', 'keep'];

export function unplugDevice(dev: KmsDevice, policy: UnplugPolicy): void {
  if (dev.unplugged) return;
  dev.unplugged = true;
  for (const crtc of dev.crtcs) {
    crtc.flip?.complete(crtc.vblank.count, process.hrtime.bigint());
    crtc.vblank.disable();
    crtc.scanout = null;
  }
  // Events already owed are written to the files' event sinks, which then close (EOF).
  for (const file of dev.files) file.endEvents(true);
  // Nothing is scanned out any more: every release fence signals (no waiter hangs on a gone device, UNP-10).
  dev.retireScanout();
  for (const c of dev.connectors) c.connected = false;
  for (const obj of dev.primeObjects.values()) {
    const fd = obj.seg.fd;
    try {
      if (policy === 'sigbus') native.truncate(fd, 0);
      else if (policy === 'zero-page') native.punchHole(fd, 0, obj.seg.size);
    } catch (e) {
      log.warn(`releasing buffer storage: ${(e as Error).message}`);
    }
  }
}
