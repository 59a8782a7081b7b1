// The legacy CRTC calls for hardware the device does not have, answered as the kernel answers them for such a
// CRTC (drm_plane.c drm_mode_cursor_common, drm_color_mgmt.c): no cursor plane and no cursor hooks, gamma_size 0
// and no gamma_set hook.
import { CURSOR } from '../../protocol/kms/constants.js';
import type { KmsArgs } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';

type Empty = Record<string, never>;

/** MODE_CURSOR / CURSOR2 (master only): bad flags EINVAL, unknown CRTC ENOENT, BO ENXIO, MOVE alone EFAULT. */
export function cursor(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_CURSOR'>): Empty {
  dev.requireMaster(file);
  if (a.flags === 0 || a.flags & ~(CURSOR.BO | CURSOR.MOVE)) throw pvError('EINVAL', `bad cursor flags 0x${a.flags.toString(16)}`);
  dev.crtcById(a.crtc_id);
  if (a.flags & CURSOR.BO) throw pvError('ENXIO', 'the CRTC has no cursor');
  throw pvError('EFAULT', 'the CRTC cannot move a cursor'); // the kernel's answer when cursor_move is missing
}

export function getGamma(dev: KmsDevice, a: KmsArgs<'MODE_GETGAMMA'>): Empty {
  const crtc = dev.crtcById(a.crtc_id);
  if (a.gamma_size !== crtc.info().gamma_size) throw pvError('EINVAL', `gamma_size ${a.gamma_size} is not the CRTC's (0)`);
  return {};
}

export function setGamma(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_SETGAMMA'>): Empty {
  dev.requireMaster(file);
  dev.crtcById(a.crtc_id);
  throw pvError('ENOSYS', 'the CRTC has no gamma table');
}
