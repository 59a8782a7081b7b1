// displif constants: opcodes, event type, flags, sizes of packets / rings / pages, store key names, protocol
// versions and the Linux frontend's timing and size limits. Values are facts from Xen's io/displif.h, io/ring.h and
// Linux's xen-drm-front (see spec/DISPLIF.md). The pixel formats the Linux frontend offers (DRM fourccs, sizes, the
// ADDFB mapping) are one table in protocol/formats.ts.

/** Request opcodes (0x00..0x0F are reserved). GET_EDID exists from protocol v2 on. */
export const Op = {
  DBUF_CREATE: 0x10,
  DBUF_DESTROY: 0x11,
  FB_ATTACH: 0x12,
  FB_DETACH: 0x13,
  SET_CONFIG: 0x14,
  PG_FLIP: 0x15,
  GET_EDID: 0x16,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** The only event type: frame done for a page flip. */
export const EVT_PG_FLIP = 0x00;

/** DBUF_CREATE flag: the backend allocates the buffer pages (the only defined flag bit). */
export const DBUF_FLG_REQ_ALLOC = 1 << 0;

export const EDID_BLOCK_SIZE = 128;
export const EDID_BLOCK_COUNT = 256;
/** GET_EDID buffers must be at least this large (128 * 256). */
export const EDID_MAX_SIZE = EDID_BLOCK_SIZE * EDID_BLOCK_COUNT;

/** Every request, response and event is exactly this many bytes. */
export const PACKET_SIZE = 64;
/** Xen page size: ring pages, event pages, directory pages and buffer pages. */
export const PAGE_SIZE = 4096;

/** Shared request/response ring: 64-byte header, then (63 entries fit, rounded down to a power of two) 32 slots. */
export const RING_HEADER_SIZE = 64;
export const RING_ENTRY_SIZE = 64;
export const RING_SIZE = 32;

/** Event page: 64-byte header (in_cons @0, in_prod @4), then 63 event slots; 63 is not a power of two. */
export const EVENT_PAGE_SIZE = 4096;
export const IN_RING_OFFS = 64;
export const IN_RING_SIZE = EVENT_PAGE_SIZE - IN_RING_OFFS;
export const IN_RING_LEN = IN_RING_SIZE / PACKET_SIZE;

/** Page directory: next-page gref at 0, then this many buffer grefs per 4096-byte page. */
export const PAGE_DIRECTORY_GREFS_PER_PAGE = (PAGE_SIZE - 4) / 4;

/** XenStore device type and the separators used inside values. */
export const DRIVER_NAME = 'vdispl';
export const LIST_SEPARATOR = ',';
export const RESOLUTION_SEPARATOR = 'x';

/** XenStore key names (relative to the frontend or backend directory; connector keys below `<conn-idx>/`). */
export const StoreField = {
  STATE: 'state',
  BACKEND: 'backend',
  BACKEND_ID: 'backend-id',
  FRONTEND: 'frontend',
  FRONTEND_ID: 'frontend-id',
  BE_VERSIONS: 'versions',
  FE_VERSION: 'version',
  BE_ALLOC: 'be-alloc',
  RESOLUTION: 'resolution',
  UNIQUE_ID: 'unique-id',
  REQ_RING_REF: 'req-ring-ref',
  REQ_CHANNEL: 'req-event-channel',
  EVT_RING_REF: 'evt-ring-ref',
  EVT_CHANNEL: 'evt-event-channel',
} as const;

/** Keys that live under `<conn-idx>/`. */
export const CONNECTOR_FIELDS = [
  StoreField.RESOLUTION,
  StoreField.UNIQUE_ID,
  StoreField.REQ_RING_REF,
  StoreField.REQ_CHANNEL,
  StoreField.EVT_RING_REF,
  StoreField.EVT_CHANNEL,
] as const;
export type ConnectorField = (typeof CONNECTOR_FIELDS)[number];

/** Protocol versions this implementation speaks; 2 is current Xen/Linux, 1 predates 2020. */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
export const PROTOCOL_VERSION_INT: ProtocolVersion = 2;
export const PROTOCOL_VERSION = '2';

/** Linux xen-drm-front constants that a compatible peer must respect or imitate. */
export const Linux = {
  /** XEN_DRM_FRONT_WAIT_BACK_MS: how long a request waits for its response before -ETIMEDOUT. */
  WAIT_BACK_MS: 3000,
  /** FRAME_DONE_TO_MS: page-flip frame-done timeout (WAIT_BACK_MS + 100). */
  FRAME_DONE_TO_MS: 3100,
  /** XEN_DRM_CRTC_VREFRESH_HZ: the refresh rate the frontend's single mode is computed for. */
  VREFRESH_HZ: 60,
  /** mode_config maxima. */
  MAX_WIDTH: 4095,
  MAX_HEIGHT: 2047,
  /** XEN_DRM_FRONT_MAX_CRTCS: connectors probed in XenStore. */
  MAX_CRTCS: 4,
  /** GENERIC_OP_EVT_CHNL: the connector whose ring carries DBUF/FB requests. */
  GENERIC_OP_CONNECTOR: 0,
} as const;
