// DRM uAPI numbers the device node speaks (drm.h / drm_mode.h), so that code ported from libdrm reads the same.

export const DRM_CAP = {
  DUMB_BUFFER: 0x1,
  VBLANK_HIGH_CRTC: 0x2,
  DUMB_PREFERRED_DEPTH: 0x3,
  DUMB_PREFER_SHADOW: 0x4,
  PRIME: 0x5,
  TIMESTAMP_MONOTONIC: 0x6,
  ASYNC_PAGE_FLIP: 0x7,
  CURSOR_WIDTH: 0x8,
  CURSOR_HEIGHT: 0x9,
  ADDFB2_MODIFIERS: 0x10,
  PAGE_FLIP_TARGET: 0x11,
  CRTC_IN_VBLANK_EVENT: 0x12,
} as const;

export const DRM_CLIENT_CAP = {
  STEREO_3D: 1,
  UNIVERSAL_PLANES: 2,
  ATOMIC: 3,
  ASPECT_RATIO: 4,
  WRITEBACK_CONNECTORS: 5,
} as const;

export const DRM_MODE_CONNECTOR_VIRTUAL = 15;
export const DRM_MODE_ENCODER_VIRTUAL = 5;

export const CONNECTION = { CONNECTED: 1, DISCONNECTED: 2, UNKNOWN: 3 } as const;

export const MODE_TYPE = { PREFERRED: 1 << 3, USERDEF: 1 << 5, DRIVER: 1 << 6 } as const;
export const MODE_FLAG = { PHSYNC: 1, NHSYNC: 2, PVSYNC: 4, NVSYNC: 8 } as const;

export const PAGE_FLIP = { EVENT: 0x1, ASYNC: 0x2, TARGET_ABSOLUTE: 0x4, TARGET_RELATIVE: 0x8 } as const;
export const PAGE_FLIP_FLAGS = 0xf;

export const EVENT_TYPE = { VBLANK: 1, FLIP_COMPLETE: 2, CRTC_SEQUENCE: 3 } as const;

export const OBJECT_TYPE = {
  CRTC: 0xcccccccc,
  CONNECTOR: 0xc0c0c0c0,
  ENCODER: 0xe0e0e0e0,
  MODE: 0xdededede,
  PROPERTY: 0xb0b0b0b0,
  FB: 0xfbfbfbfb,
  BLOB: 0xbbbbbbbb,
  PLANE: 0xeeeeeeee,
} as const;

export const PLANE_TYPE = { OVERLAY: 0, PRIMARY: 1, CURSOR: 2 } as const;

/** The per-file budget for undelivered events, as the kernel keeps it (K-EV-07). */
export const EVENT_SPACE = 4096;
