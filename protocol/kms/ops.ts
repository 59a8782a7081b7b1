// Device-node operations: the requests a client sends on a cardN connection, named after the DRM ioctls they
// mirror, with their argument and result maps. The frontend's dispatcher and the client library share these types.
import type { ModeInfo } from './mode-info.js';

export interface ConnectorInfo {
  connector_id: number;
  encoder_id: number;
  connector_type: number;
  connector_type_id: number;
  connection: number;
  mm_width: number;
  mm_height: number;
  subpixel: number;
  modes: ModeInfo[];
  encoders: number[];
}

export interface CrtcInfo {
  crtc_id: number;
  fb_id: number;
  x: number;
  y: number;
  gamma_size: number;
  mode_valid: number;
  mode: ModeInfo | null;
}

export interface PlaneInfo {
  plane_id: number;
  crtc_id: number;
  fb_id: number;
  possible_crtcs: number;
  gamma_size: number;
  format_types: number[];
  plane_type: number;
}

export interface KmsOps {
  VERSION: [Record<string, never>, { major: number; minor: number; patch: number; name: string; date: string; desc: string }];
  GET_CAP: [{ capability: number }, { value: number }];
  SET_CLIENT_CAP: [{ capability: number; value: number }, Record<string, never>];
  MODE_GETRESOURCES: [
    Record<string, never>,
    {
      fbs: number[];
      crtcs: number[];
      connectors: number[];
      encoders: number[];
      min_width: number;
      max_width: number;
      min_height: number;
      max_height: number;
    },
  ];
  MODE_GETCONNECTOR: [{ connector_id: number }, ConnectorInfo];
  MODE_GETENCODER: [{ encoder_id: number }, { encoder_id: number; encoder_type: number; crtc_id: number; possible_crtcs: number; possible_clones: number }];
  MODE_GETCRTC: [{ crtc_id: number }, CrtcInfo];
  MODE_GETPLANERESOURCES: [Record<string, never>, { planes: number[] }];
  MODE_GETPLANE: [{ plane_id: number }, PlaneInfo];
  MODE_CREATE_DUMB: [{ width: number; height: number; bpp: number; flags: number }, { handle: number; pitch: number; size: number }];
  /** Replies with the buffer's memfd riding along: mmap it at `offset` for `size` bytes. */
  MODE_MAP_DUMB: [{ handle: number }, { offset: number; size: number }];
  MODE_DESTROY_DUMB: [{ handle: number }, Record<string, never>];
  MODE_ADDFB: [{ width: number; height: number; pitch: number; bpp: number; depth: number; handle: number }, { fb_id: number }];
  MODE_ADDFB2: [
    { width: number; height: number; pixel_format: number; flags: number; handles: number[]; pitches: number[]; offsets: number[]; modifier?: number[] },
    { fb_id: number },
  ];
  MODE_RMFB: [{ fb_id: number }, Record<string, never>];
  MODE_SETCRTC: [{ crtc_id: number; fb_id: number; x: number; y: number; connectors: number[]; mode: ModeInfo | null }, Record<string, never>];
  /** `user_data` is 8 little-endian bytes (a u64), echoed in the flip-complete event. */
  MODE_PAGE_FLIP: [{ crtc_id: number; fb_id: number; flags: number; user_data: Uint8Array; sequence?: number }, Record<string, never>];
}

export type KmsOp = keyof KmsOps;
export type KmsArgs<O extends KmsOp> = KmsOps[O][0];
export type KmsResult<O extends KmsOp> = KmsOps[O][1];

/** A reply on a cardN connection (see docs/device-node.md). */
export interface ReplyPacket {
  re: number;
  ok?: Record<string, unknown>;
  err?: { errno: number; code: string; message: string };
}
