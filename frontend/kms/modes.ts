// User-supplied mode validation: a mode need not come from the connector's list, but it must be well formed, use
// only known flags, and be showable by the connector (the backend's visible area at about its refresh rate);
// otherwise EINVAL (K-MODE, DESIGN §4).
import { DRM_CLIENT_CAP, MODE_FLAG_3D_MASK, MODE_FLAG_3D_MAX, MODE_FLAG_3D_SHIFT, MODE_FLAG_BASIC, MODE_FLAG_PIC_AR_MASK, MODE_FLAG_PIC_AR_MAX, MODE_FLAG_PIC_AR_SHIFT } from '../../protocol/kms/constants.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import { pvError } from '../../shared/errors.js';
import type { Connector } from './connector.js';
import type { DrmFile } from './file.js';

const INT_MAX = 0x7fffffff;
/** The highest pixel clock an EDID detailed timing can carry. */
export const MAX_DOTCLOCK_KHZ = 655_350;

/** The flag rules SETCRTC applies before anything else (K-MODE-01..05). */
export function checkModeFlags(mode: ModeInfo, file: DrmFile): void {
  if (mode.clock > INT_MAX || mode.vrefresh > INT_MAX) throw pvError('ERANGE', `clock ${mode.clock} kHz out of range`);
  const known = MODE_FLAG_BASIC | MODE_FLAG_3D_MASK | MODE_FLAG_PIC_AR_MASK;
  if (mode.flags & ~known) throw pvError('EINVAL', `unknown mode flags 0x${(mode.flags >>> 0).toString(16)}`);
  if ((mode.flags & MODE_FLAG_3D_MASK) >>> MODE_FLAG_3D_SHIFT > MODE_FLAG_3D_MAX) throw pvError('EINVAL', 'unknown 3D mode flag');
  const ar = (mode.flags & MODE_FLAG_PIC_AR_MASK) >>> MODE_FLAG_PIC_AR_SHIFT;
  if (ar && !file.cap(DRM_CLIENT_CAP.ASPECT_RATIO)) throw pvError('EINVAL', 'aspect-ratio flags need the ASPECT_RATIO client cap');
  if (ar > MODE_FLAG_PIC_AR_MAX) throw pvError('EINVAL', `unknown aspect ratio ${ar}`);
}

/** Refresh in Hz from the timings, as drm_mode_vrefresh computes it (0 when the totals are 0). */
function vrefreshOf(m: ModeInfo): number {
  const total = m.htotal * m.vtotal * Math.max(1, m.vscan);
  return total ? (m.clock * 1000) / total : 0;
}

export function validateMode(mode: ModeInfo, connector: Connector): void {
  const h = mode.hdisplay <= mode.hsync_start && mode.hsync_start <= mode.hsync_end && mode.hsync_end <= mode.htotal;
  const v = mode.vdisplay <= mode.vsync_start && mode.vsync_start <= mode.vsync_end && mode.vsync_end <= mode.vtotal;
  if (mode.clock === 0 || mode.hdisplay === 0 || mode.vdisplay === 0 || !h || !v) {
    throw pvError('EINVAL', `malformed mode ${mode.hdisplay}x${mode.vdisplay} (clock ${mode.clock} kHz)`);
  }
  if (mode.clock > MAX_DOTCLOCK_KHZ) throw pvError('EINVAL', `clock ${mode.clock} kHz above the ${MAX_DOTCLOCK_KHZ} kHz limit`);
  if (mode.hdisplay !== connector.width || mode.vdisplay !== connector.height) {
    throw pvError('EINVAL', `connector ${connector.id} shows ${connector.width}x${connector.height}, not ${mode.hdisplay}x${mode.vdisplay}`);
  }
  // The backend scans out at the connector's own rate: a mode far from it cannot be shown.
  const want = connector.modes[0]!.vrefresh;
  const got = vrefreshOf(mode);
  if (Math.abs(got - want) > want * 0.1) throw pvError('EINVAL', `connector ${connector.id} refreshes at ${want} Hz, the mode at ${got.toFixed(2)} Hz`);
}
