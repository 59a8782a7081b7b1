// The primary plane of each CRTC, with the formats the Linux Xen frontend offers, and its committed state.
import { OBJECT_TYPE, PLANE_TYPE } from '../../protocol/kms/constants.js';
import type { PlaneInfo } from '../../protocol/kms/ops.js';
import { PIXEL_FORMATS } from '../../protocol/formats.js';
import type { ModeObject } from './mode-objects.js';
import { emptyPlaneState, type PlaneState } from './state.js';

export class Plane implements ModeObject {
  readonly objectType = OBJECT_TYPE.PLANE;
  readonly formats: readonly number[] = PIXEL_FORMATS.map((f) => f.fourcc);
  readonly planeType = PLANE_TYPE.PRIMARY;
  state: PlaneState = emptyPlaneState();

  constructor(
    readonly id: number,
    readonly crtcIndex: number,
  ) {}

  supports(fourcc: number): boolean {
    return this.formats.includes(fourcc);
  }

  info(): PlaneInfo {
    return {
      plane_id: this.id,
      crtc_id: this.state.crtcId,
      fb_id: this.state.fb?.id ?? 0,
      possible_crtcs: 1 << this.crtcIndex,
      gamma_size: 0,
      format_types: [...this.formats],
      plane_type: this.planeType,
    };
  }
}
