// What the KMS device needs from the backend: displif operations and frame-done notifications. The ring-based
// link implements it over either transport (shared memory, or a remote one whose channel takes the damage hints).
import type { VblankGrid } from '../../protocol/bus/vblank-grid-keys.js';
import type { Segment } from '../../shared/shm.js';
import type { SetConfigRequest } from '../../protocol/displif/request.js';
import type { Rect } from '../../protocol/kms/blobs.js';

export interface ConnectorConfig {
  index: number;
  width: number;
  height: number;
  uniqueId: string;
  /** The EDID from GET_EDID (protocol v2), undefined on v1 or when the backend has none. */
  edid: Uint8Array | undefined;
  /** Status at connect time (feature-hotplug); connected when the backend does not say. */
  connected?: boolean;
  /** Where the backend's vblanks fall (feature-vblank-grid); inferred from frame-done arrivals without it. */
  vblankGrid?: VblankGrid;
}

/** What SET_CONFIG carries: the fb cookie, the visible area's origin and size, and bpp. */
export type ScanoutConfig = Omit<SetConfigRequest, 'kind' | 'operation' | 'id'>;

export interface DbufSpec {
  cookie: bigint;
  /** The pages to share; absent: the link makes them (or, with be-alloc, the backend does). */
  seg?: Segment;
  width: number;
  height: number;
  bpp: number;
  /** Bytes of the buffer before page rounding, as Linux sends it. */
  size: number;
}

export interface DisplayBackend {
  readonly version: number;
  readonly connectors: readonly ConnectorConfig[];
  /** Wraps a client's memfd (a PRIME import) as a segment to share; the fd now belongs to it. */
  adoptSegment(fd: number, size: number): Segment;
  /** Creates the dbuf; resolves with the memfd segment that holds its pages (the caller owns one reference). */
  createDbuf(spec: DbufSpec): Promise<Segment>;
  destroyDbuf(cookie: bigint, seg: Segment): Promise<void>;
  attachFb(dbufCookie: bigint, fbCookie: bigint, width: number, height: number, fourcc: number): Promise<void>;
  detachFb(fbCookie: bigint): Promise<void>;
  /** null disables the connector (the all-zero SET_CONFIG). */
  setConfig(connector: number, config: ScanoutConfig | null): Promise<void>;
  /**
   * `damage`: what changed in the fb since the plane's last frame (FB_DAMAGE_CLIPS), undefined when the client did
   * not say. Shared memory needs no hint; a transport that copies bytes sends less with it.
   */
  pageFlip(connector: number, fbCookie: bigint, damage?: readonly Rect[]): Promise<void>;
  /** DIRTYFB: the client changed these parts of the fb (null: anywhere in it), without a flip. */
  dirtyFb(fbCookie: bigint, clips: readonly Rect[] | null): void;
  /** Called for every frame-done event of a connector, with the framebuffer cookie the event reports. */
  onFrameDone(listener: (connector: number, fbCookie: bigint) => void): void;
}
