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
  SYNCOBJ: 0x13,
  SYNCOBJ_TIMELINE: 0x14,
  ATOMIC_ASYNC_PAGE_FLIP: 0x15,
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

/** Property flags (drm_mode.h); OBJECT and SIGNED_RANGE are "extended types" in bits 6..11. */
export const PROP = {
  PENDING: 1 << 0,
  RANGE: 1 << 1,
  IMMUTABLE: 1 << 2,
  ENUM: 1 << 3,
  BLOB: 1 << 4,
  BITMASK: 1 << 5,
  OBJECT: 1 << 6,
  SIGNED_RANGE: 2 << 6,
  ATOMIC: 0x80000000,
} as const;

export const ATOMIC_FLAGS = {
  PAGE_FLIP_EVENT: 0x1,
  PAGE_FLIP_ASYNC: 0x2,
  TEST_ONLY: 0x100,
  NONBLOCK: 0x200,
  ALLOW_MODESET: 0x400,
} as const;
export const ATOMIC_FLAGS_MASK = 0x1 | 0x2 | 0x100 | 0x200 | 0x400;

export const DPMS = { ON: 0, STANDBY: 1, SUSPEND: 2, OFF: 3 } as const;
export const LINK_STATUS = { GOOD: 0, BAD: 1 } as const;

/** WAIT_VBLANK request.type bits (drm.h). */
export const VBLANK = {
  ABSOLUTE: 0x0,
  RELATIVE: 0x1,
  HIGH_CRTC_MASK: 0x3e,
  HIGH_CRTC_SHIFT: 1,
  EVENT: 0x4000000,
  FLIP: 0x8000000,
  NEXTONMISS: 0x10000000,
  SECONDARY: 0x20000000,
  SIGNAL: 0x40000000,
} as const;
export const VBLANK_TYPES_MASK = 0x1;
export const VBLANK_FLAGS_MASK = 0x4000000 | 0x40000000 | 0x20000000 | 0x10000000;

export const CRTC_SEQUENCE = { RELATIVE: 0x1, NEXT_ON_MISS: 0x2 } as const;

/** Mode flag bits the kernel accepts (drm_mode.h DRM_MODE_FLAG_ALL without the removed BCAST / PIXMUX). */
export const MODE_FLAG_3D_SHIFT = 14;
export const MODE_FLAG_3D_MASK = 0x1f << 14;
export const MODE_FLAG_3D_MAX = 8;
export const MODE_FLAG_PIC_AR_SHIFT = 19;
export const MODE_FLAG_PIC_AR_MASK = 0xf << 19;
export const MODE_FLAG_PIC_AR_MAX = 4;
export const MODE_FLAG_BASIC = 0x3ff | (1 << 12) | (1 << 13);

export const ADDFB2 = { INTERLACED: 1, MODIFIERS: 2 } as const;

/** MODE_CURSOR flags (drm_mode.h). */
export const CURSOR = { BO: 1, MOVE: 2 } as const;

/** MODE_DIRTYFB flags and the most clips one call may carry (drm_mode.h). */
export const DIRTYFB = { ANNOTATE_COPY: 1, ANNOTATE_FILL: 2, MAX_CLIPS: 256 } as const;
export const DRM_FORMAT_MOD_LINEAR = 0;
