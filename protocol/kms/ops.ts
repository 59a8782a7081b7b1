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
  /** The bus id: empty until this file's SET_VERSION asked for interface 1.1+. */
  GET_UNIQUE: [Record<string, never>, { unique: string }];
  /** -1 for "any"; replies with the interface (1.4) and driver (1.1) versions. Master only. */
  SET_VERSION: [{ di_major: number; di_minor: number; dd_major: number; dd_minor: number }, { di_major: number; di_minor: number; dd_major: number; dd_minor: number }];
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
  /** Like RMFB, but planes showing the fb keep showing it (Linux 6.8); `pad` must be 0. */
  MODE_CLOSEFB: [{ fb_id: number; pad?: number }, Record<string, never>];
  /**
   * A damage hint. `num_clips` is the caller's count; `clips` its drm_clip_rect array (8 bytes each: x1, y1, x2, y2
   * as u16) or null for a null clips_ptr. Over shared memory it changes nothing shown; a remote frontend sends them.
   */
  MODE_DIRTYFB: [{ fb_id: number; flags: number; color: number; num_clips: number; clips: Uint8Array | null }, Record<string, never>];
  /** MODE_CURSOR / MODE_CURSOR2 (the same checks): there is no cursor plane. */
  MODE_CURSOR: [{ flags: number; crtc_id: number }, Record<string, never>];
  MODE_CURSOR2: [{ flags: number; crtc_id: number }, Record<string, never>];
  /** CRTCs have gamma_size 0: GETGAMMA of size 0 reads nothing, any other size is EINVAL. */
  MODE_GETGAMMA: [{ crtc_id: number; gamma_size: number }, Record<string, never>];
  /** No gamma_set (as xen-drm-front's simple-KMS CRTC): ENOSYS. Master only. */
  MODE_SETGAMMA: [{ crtc_id: number; gamma_size: number }, Record<string, never>];
  MODE_SETCRTC: [{ crtc_id: number; fb_id: number; x: number; y: number; connectors: number[]; mode: ModeInfo | null }, Record<string, never>];
  /** Legacy plane update (master only); fb_id 0 turns the plane off. src_* are 16.16. */
  MODE_SETPLANE: [
    { plane_id: number; crtc_id: number; fb_id: number; flags: number; crtc_x: number; crtc_y: number; crtc_w: number; crtc_h: number; src_x: number; src_y: number; src_w: number; src_h: number },
    Record<string, never>,
  ];
  /** `user_data` is 8 little-endian bytes (a u64), echoed in the flip-complete event. */
  /** With `out_fence` (an extension of the legacy call) the reply carries a fence fd that signals at flip done. */
  MODE_PAGE_FLIP: [{ crtc_id: number; fb_id: number; flags: number; user_data: Uint8Array; sequence?: number; out_fence?: boolean }, { out_fence?: number }];
  MODE_GETFB: [{ fb_id: number }, { fb_id: number; width: number; height: number; pitch: number; bpp: number; depth: number; handle: number }];
  MODE_GETFB2: [
    { fb_id: number },
    { fb_id: number; width: number; height: number; pixel_format: number; flags: number; handles: number[]; pitches: number[]; offsets: number[]; modifier: number[] },
  ];
  GEM_CLOSE: [{ handle: number }, Record<string, never>];
  MODE_GETPROPERTY: [{ prop_id: number }, { prop_id: number; name: string; flags: number; values: number[]; enums: { name: string; value: number }[] }];
  /** obj_type 0 means any type. */
  MODE_OBJ_GETPROPERTIES: [{ obj_id: number; obj_type: number }, { props: number[]; prop_values: number[] }];
  MODE_OBJ_SETPROPERTY: [{ obj_id: number; obj_type: number; prop_id: number; value: number }, Record<string, never>];
  /** Legacy connector property write. */
  MODE_SETPROPERTY: [{ connector_id: number; prop_id: number; value: number }, Record<string, never>];
  MODE_CREATEPROPBLOB: [{ data: Uint8Array }, { blob_id: number }];
  /** Without `length`, or with the blob's length, `data` comes back; otherwise only the real `length` (K-OBJ-04). */
  MODE_GETPROPBLOB: [{ blob_id: number; length?: number }, { length: number; data?: Uint8Array }];
  MODE_DESTROYPROPBLOB: [{ blob_id: number }, Record<string, never>];
  /** The kernel's flattened arrays: for objs[i], count_props[i] entries of props / prop_values. */
  MODE_ATOMIC: [
    { flags: number; objs: number[]; count_props: number[]; props: number[]; prop_values: number[]; reserved?: number; user_data?: Uint8Array },
    /** Per CRTC with OUT_FENCE_PTR set: the index of its fence among the reply's fds (-1 for TEST_ONLY). */
    { out_fences: { crtc_id: number; fd_index: number }[] },
  ];
  /** dma-buf EXPORT_SYNC_FILE: replies with a fence fd that signals once the backend no longer scans the buffer out. */
  PRIME_EXPORT_FENCE: [{ handle: number }, Record<string, never>];
  /** dma-buf IMPORT_SYNC_FILE: the fence fd rides along; commits that show the buffer wait for it. */
  PRIME_IMPORT_FENCE: [{ handle: number }, Record<string, never>];
  SET_MASTER: [Record<string, never>, Record<string, never>];
  DROP_MASTER: [Record<string, never>, Record<string, never>];
  GET_MAGIC: [Record<string, never>, { magic: number }];
  AUTH_MAGIC: [{ magic: number }, Record<string, never>];
  /** Blocking unless type has EVENT; `signal` is the event's user data. */
  WAIT_VBLANK: [{ type: number; sequence: number; signal: number }, { type: number; sequence: number; tval_sec: number; tval_usec: number }];
  CRTC_GET_SEQUENCE: [{ crtc_id: number }, { crtc_id: number; active: number; sequence: number; sequence_ns: number }];
  /** Replies with the buffer's memfd riding along (the same file for every export of the same buffer). */
  PRIME_HANDLE_TO_FD: [{ handle: number; flags: number }, { flags: number }];
  /** The dma-buf (memfd) rides along with the request. */
  PRIME_FD_TO_HANDLE: [Record<string, never>, { handle: number }];
  /** pvdisplay's own: per CRTC, frame-done timeouts and commits dropped for a fence timeout; whether unplugged. */
  PVD_STATUS: [Record<string, never>, { unplugged: boolean; crtcs: { crtc_id: number; frame_done_timeouts: number; fence_timeouts: number; pending_vblank_waits: number }[] }];
  /**
   * pvdisplay's own: the one fd riding along (a Unix socket end) gets this file's event records from now on, one raw
   * 32-byte packet each, instead of `{ev}` packets; `uevents: false` also stops uevent packets on the connection.
   */
  /** pvdisplay's own: closes the file now (as close(2) of a card fd does), before the connection goes; later ops EBADF. */
  PVD_CLOSE: [Record<string, never>, Record<string, never>];
  PVD_EVENT_FD: [{ uevents?: boolean }, Record<string, never>];
  CRTC_QUEUE_SEQUENCE: [{ crtc_id: number; flags: number; sequence: number; user_data: number }, { sequence: number }];
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
