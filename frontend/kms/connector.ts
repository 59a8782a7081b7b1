// A connector per backend connector: type Virtual, its status and modes (from EDID on v2, else the store's
// resolution, at 60 Hz as Linux computes it).
import { CONNECTION, DPMS, DRM_MODE_CONNECTOR_VIRTUAL, LINK_STATUS, MODE_TYPE, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import type { ConnectorInfo } from '../../protocol/kms/ops.js';
import { modeTiming, parseEdid, type ModeTiming } from '../../protocol/edid.js';
import type { ConnectorConfig } from './backend.js';
import type { ModeObject } from './mode-objects.js';
import type { Blob } from './blob.js';
import type { ConnectorState } from './state.js';

const REFRESH_HZ = 60;

export function modeFor(width: number, height: number, refresh: number): ModeInfo {
  return modeOf(modeTiming(width, height, refresh));
}

/** A timing as a preferred driver mode (an EDID's detailed timing is taken as it is, never regenerated). */
function modeOf(t: ModeTiming): ModeInfo {
  return {
    clock: t.clock,
    hdisplay: t.hdisplay,
    hsync_start: t.hsyncStart,
    hsync_end: t.hsyncEnd,
    htotal: t.htotal,
    hskew: 0,
    vdisplay: t.vdisplay,
    vsync_start: t.vsyncStart,
    vsync_end: t.vsyncEnd,
    vtotal: t.vtotal,
    vscan: 0,
    vrefresh: t.vrefresh,
    flags: t.flags,
    type: MODE_TYPE.PREFERRED | MODE_TYPE.DRIVER,
    name: `${t.hdisplay}x${t.vdisplay}`,
  };
}

export class Connector implements ModeObject {
  readonly objectType = OBJECT_TYPE.CONNECTOR;
  connected = true;
  state: ConnectorState = { crtcId: 0, dpms: DPMS.ON, linkStatus: LINK_STATUS.GOOD };
  /** The EDID property's blob (none on v1, nor while disconnected). */
  edidBlob: Blob | null = null;
  modes: ModeInfo[] = [];
  mmWidth = 0;
  mmHeight = 0;

  constructor(
    readonly id: number,
    readonly encoderId: number,
    private config: ConnectorConfig,
  ) {
    this.probe(config);
  }

  /** Takes the connector's (new) configuration: modes and size from its EDID on v2, else from its resolution. */
  probe(config: ConnectorConfig): void {
    this.config = config;
    if (config.connected !== undefined) this.connected = config.connected;
    const edid = config.edid && config.edid.length > 0 ? parseEdid(config.edid) : undefined;
    const pref = edid?.preferred;
    this.modes = [pref ? modeOf(pref) : modeFor(config.width, config.height, REFRESH_HZ)];
    this.mmWidth = edid?.widthMm ?? 0;
    this.mmHeight = edid?.heightMm ?? 0;
  }

  /** The EDID the backend gave (GET_EDID), whatever the status; undefined when it has none. */
  get edid(): Uint8Array | undefined {
    const e = this.config.edid;
    return e && e.length > 0 ? e : undefined;
  }

  get index(): number {
    return this.config.index;
  }

  /** The size a mode must have to be shown: the visible area the backend offers. */
  get width(): number {
    return this.modes[0]!.hdisplay;
  }

  get height(): number {
    return this.modes[0]!.vdisplay;
  }

  info(): ConnectorInfo {
    return {
      connector_id: this.id,
      // The kernel's connector->state->best_encoder: set only while the connector drives a CRTC (kmscube relies on it).
      encoder_id: this.state.crtcId ? this.encoderId : 0,
      connector_type: DRM_MODE_CONNECTOR_VIRTUAL,
      connector_type_id: this.index + 1,
      connection: this.connected ? CONNECTION.CONNECTED : CONNECTION.DISCONNECTED,
      mm_width: this.mmWidth,
      mm_height: this.mmHeight,
      subpixel: 1, // DRM_MODE_SUBPIXEL_UNKNOWN
      modes: this.connected ? this.modes : [],
      encoders: [this.encoderId],
    };
  }
}
