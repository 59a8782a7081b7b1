// The primary plane of each CRTC, with the formats the Linux Xen frontend offers.
import { OBJECT_TYPE, PLANE_TYPE } from '../../protocol/kms/constants.js';
import type { PlaneInfo } from '../../protocol/kms/ops.js';
import { PIXEL_FORMATS } from '../../protocol/formats.js';
import type { ModeObject } from './mode-objects.js';

export class Plane implements ModeObject {
  readonly objectType = OBJECT_TYPE.PLANE;
  readonly formats: readonly number[] = PIXEL_FORMATS.map((f) => f.fourcc);

  constructor(
    readonly id: number,
    readonly crtcIndex: number,
  ) {}

  supports(fourcc: number): boolean {
    return this.formats.includes(fourcc);
  }

  info(crtcId: number, fbId: number): PlaneInfo {
    return {
      plane_id: this.id,
      crtc_id: crtcId,
      fb_id: fbId,
      possible_crtcs: 1 << this.crtcIndex,
      gamma_size: 0,
      format_types: [...this.formats],
      plane_type: PLANE_TYPE.PRIMARY,
    };
  }
}
