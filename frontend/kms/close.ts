// Closing a file of the device: its framebuffers are removed (turning off what showed them, K-FB-22), its handles
// and blobs released, its master status dropped; events it was still owed are discarded (LEAK-01) and its vblank
// waits dropped (they would otherwise stay queued until their target, up to 2^31 vblanks away).
import { logger } from '../../shared/log.js';
import type { KmsDevice } from './device.js';
import { removeFb } from './fb-ops.js';
import type { DrmFile } from './file.js';
import { forgetFile } from './master.js';

const log = logger('kms');

export async function closeFile(dev: KmsDevice, file: DrmFile): Promise<void> {
  if (!dev.files.delete(file)) return;
  file.endEvents(false);
  forgetFile(dev, file);
  for (const crtc of dev.crtcs) crtc.vblank.dropOwner(file);
  for (const fb of [...file.fbs]) await removeFb(dev, file, fb).catch((e: Error) => log.warn(`close: ${e.message}`));
  for (const obj of file.handles.values()) obj.put();
  file.handles.clear();
  file.primeCache.clear();
  dev.blobs.dropOwnedBy(file);
}
