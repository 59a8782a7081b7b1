// One Virtual encoder per connector, bound to the CRTC of the same index.
import { DRM_MODE_ENCODER_VIRTUAL, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { KmsResult } from '../../protocol/kms/ops.js';
import type { ModeObject } from './mode-objects.js';

export class Encoder implements ModeObject {
  readonly objectType = OBJECT_TYPE.ENCODER;

  constructor(
    readonly id: number,
    readonly crtcId: number,
    readonly crtcIndex: number,
  ) {}

  info(active: boolean): KmsResult<'MODE_GETENCODER'> {
    return {
      encoder_id: this.id,
      encoder_type: DRM_MODE_ENCODER_VIRTUAL,
      crtc_id: active ? this.crtcId : 0,
      possible_crtcs: 1 << this.crtcIndex,
      possible_clones: 0,
    };
  }
}
