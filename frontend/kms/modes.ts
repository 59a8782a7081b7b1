// User-supplied mode validation: a mode need not come from the connector's list, but it must be well formed and
// showable by the connector (the backend's visible area); otherwise EINVAL (K-MODE, DESIGN §4).
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import { pvError } from '../../shared/errors.js';
import type { Connector } from './connector.js';

export function validateMode(mode: ModeInfo, connector: Connector): void {
  const h = mode.hdisplay <= mode.hsync_start && mode.hsync_start <= mode.hsync_end && mode.hsync_end <= mode.htotal;
  const v = mode.vdisplay <= mode.vsync_start && mode.vsync_start <= mode.vsync_end && mode.vsync_end <= mode.vtotal;
  if (mode.clock === 0 || mode.hdisplay === 0 || mode.vdisplay === 0 || !h || !v) {
    throw pvError('EINVAL', `malformed mode ${mode.hdisplay}x${mode.vdisplay} (clock ${mode.clock} kHz)`);
  }
  if (mode.hdisplay !== connector.width || mode.vdisplay !== connector.height) {
    throw pvError('EINVAL', `connector ${connector.id} shows ${connector.width}x${connector.height}, not ${mode.hdisplay}x${mode.vdisplay}`);
  }
}
