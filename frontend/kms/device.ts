// The KMS device model: the mode objects built from the backend's connectors (with their properties and driver
// blobs), the open files and the DRM master. The operations live beside it, one file per area (queries, dumb
// buffers, framebuffers, the commit engine, atomic, legacy modeset, vblank, master); they all go through here.
import { LINK_STATUS, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import { encodeInFormats } from '../../protocol/kms/blobs.js';
import { encodeVblankEvent } from '../../protocol/kms/event.js';
import { pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { ConnectorConfig, DisplayBackend } from './backend.js';
import { Blobs, type Blob } from './blob.js';
import { Connector } from './connector.js';
import { Crtc } from './crtc.js';
import { Encoder } from './encoder.js';
import { DmaBufs } from './dma-bufs.js';
import { DrmFile } from './file.js';
import type { Framebuffer } from './framebuffer.js';
import type { GemObject } from './gem.js';
import { ModeObjects } from './mode-objects.js';
import { Plane } from './plane.js';
import { StdProps, type PropContext } from './props.js';
import { Budgets, type Limits } from './budget.js';

const log = logger('kms');

/** Linux's mode_config limits for the Xen frontend. */
export const MAX_WIDTH = 4095;
export const MAX_HEIGHT = 2047;

export interface DeviceOptions {
  /** How long a flip may wait for the backend's frame-done event before its event is sent anyway (Linux: 3100). */
  frameDoneTimeoutMs: number;
  /** How long a commit waits for its in-fences before it is dropped (non-blocking) or fails (blocking). */
  fenceTimeoutMs: number;
  /** What files may make the device hold (see budget.ts). */
  limits: Limits;
}

export class KmsDevice implements PropContext {
  readonly objects = new ModeObjects();
  readonly blobs = new Blobs(this.objects);
  readonly props = new StdProps(this.objects);
  readonly connectors: Connector[] = [];
  readonly encoders: Encoder[] = [];
  readonly crtcs: Crtc[] = [];
  readonly planes: Plane[] = [];
  readonly inFormats: Blob;
  readonly files = new Set<DrmFile>();
  /** Every live GEM object by the identity ("dev:ino") of its memfd, for PRIME imports. */
  readonly primeObjects = new Map<string, GemObject>();
  /** PRIME exports still open somewhere, each keeping its object alive. */
  readonly dmaBufs = new DmaBufs();
  readonly budgets: Budgets;
  master: DrmFile | null = null;
  /** Framebuffers closed by CLOSEFB while still shown: freed once nothing shows them (see retireScanout). */
  readonly closedFbs = new Set<Framebuffer>();
  /** The backend is gone: every call fails with ENODEV (see unplug.ts). */
  unplugged = false;
  /** Told of every connector change (status, EDID, link-status): the frontend sends the hotplug uevent. */
  onHotplug: (connectorId: number) => void = () => undefined;
  /** Told when a connector's frame-done timeouts or link-status change: the frontend publishes them to the backend. */
  onStats: (index: number) => void = () => undefined;
  /** Magics handed out by GET_MAGIC: the file each names, the master it was issued under, whether it was used. */
  readonly magics = new Map<number, { file: DrmFile; master: DrmFile | null; used: boolean }>();
  private nextFile = 1;
  private nextCookie = 1n;

  constructor(
    readonly backend: DisplayBackend,
    readonly options: DeviceOptions,
  ) {
    this.budgets = new Budgets(options.limits);
    // Ids in the kernel's creation order: planes and CRTCs, then encoders, then connectors.
    for (const cfg of backend.connectors) {
      const plane = this.objects.add(new Plane(this.objects.allocate(), cfg.index));
      this.planes.push(plane);
      const crtc = this.objects.add(new Crtc(this.objects.allocate(), cfg.index, plane));
      crtc.vblank.grid = cfg.vblankGrid;
      this.crtcs.push(crtc);
    }
    this.inFormats = this.blobs.create(encodeInFormats(this.planes[0]?.formats ?? []), null);
    for (const crtc of this.crtcs) this.encoders.push(this.objects.add(new Encoder(this.objects.allocate(), crtc.id, crtc.index)));
    for (const cfg of backend.connectors) {
      const enc = this.encoders[cfg.index]!;
      const conn = this.objects.add(new Connector(this.objects.allocate(), enc.id, cfg));
      this.publishEdid(conn);
      this.connectors.push(conn);
    }
    backend.onFrameDone((index, fbCookie) => {
      const crtc = this.crtcs[index];
      if (!crtc || this.unplugged) return;
      crtc.vblank.frameDone();
      // Only the frame done of the flip in flight completes it: a late one of a flip that timed out is a vblank,
      // not the next flip's completion.
      if (crtc.claimFrameDone(fbCookie)) crtc.flip!.complete(crtc.vblank.count, crtc.vblank.timestampNs);
      this.setLinkStatus(this.connectorOf(crtc), LINK_STATUS.GOOD);
    });
  }

  open(sendEvent: (record: Uint8Array, onSent: () => void) => void): DrmFile {
    const id = this.nextFile++;
    // Magics need only be unique and non-zero; mixing the id keeps them from being guessable by counting.
    const magic = ((id * 0x9e3779b1) >>> 0) || 1;
    const file = new DrmFile(id, magic, sendEvent);
    this.files.add(file);
    if (!this.master) {
      this.master = file;
      file.wasMaster = true;
      file.authenticated = true;
    }
    return file;
  }

  /**
   * A hotplug from the backend: the connector's status, and (when its EDID changed) its modes and EDID blob, are
   * taken over, then announced. A lit CRTC is left as it is: userspace re-probes and decides, as with real HPD.
   */
  hotplug(index: number, connected: boolean, config?: ConnectorConfig): void {
    const conn = this.connectors[index];
    if (!conn || this.unplugged) return;
    conn.connected = connected;
    if (config) {
      conn.probe(config);
      const crtc = this.crtcs[index];
      if (crtc) crtc.vblank.grid = config.vblankGrid;
    }
    const wantsBlob = conn.connected && conn.edid !== undefined;
    if (config || wantsBlob !== (conn.edidBlob !== null)) this.publishEdid(conn);
    this.onHotplug(conn.id);
  }

  /** The EDID property follows the status (K-HP-09): a disconnected connector has none, a reconnect brings it back. */
  private publishEdid(conn: Connector): void {
    this.blobs.release(conn.edidBlob);
    const edid = conn.connected ? conn.edid : undefined;
    conn.edidBlob = edid ? this.blobs.create(edid, null) : null;
  }

  /** link-status changes are announced as hotplug uevents (K-LS-02): a timed-out frame makes it Bad, a good one Good. */
  setLinkStatus(conn: Connector, status: number): void {
    if (conn.state.linkStatus === status) return;
    conn.state = { ...conn.state, linkStatus: status };
    this.onHotplug(conn.id);
    this.onStats(conn.index);
  }

  requireMaster(file: DrmFile): void {
    if (this.master !== file) throw pvError('EACCES', 'only the DRM master may do this');
  }

  crtcById(id: number): Crtc {
    return this.objects.lookup<Crtc>(id, OBJECT_TYPE.CRTC, 'CRTC');
  }

  /** The connector a CRTC drives (one each, same index). */
  connectorOf(crtc: Crtc): Connector {
    return this.connectors[crtc.index]!;
  }

  cookie(): bigint {
    return this.nextCookie++;
  }

  /** Buffers the backend shows now or will show when a flip in flight lands. */
  onScreen(): Set<GemObject> {
    const shown = new Set<GemObject>();
    for (const c of this.crtcs) for (const fb of [c.scanout, c.flip?.target]) if (fb) shown.add(fb.gem);
    return shown;
  }

  /** Whether a plane shows the fb, or will when a flip in flight lands. */
  shows(fb: Framebuffer): boolean {
    return this.crtcs.some((c) => c.plane.state.fb === fb || c.scanout === fb || c.flip?.target === fb);
  }

  /**
   * Signals the release fences of buffers the backend no longer scans out (nor is about to), and frees CLOSEFB'd
   * framebuffers nothing shows any more.
   */
  retireScanout(): void {
    for (const fb of this.closedFbs) {
      if (this.shows(fb)) continue;
      this.closedFbs.delete(fb);
      this.objects.remove(fb);
      const detached = this.unplugged ? Promise.resolve() : this.backend.detachFb(fb.cookie);
      void detached.catch((e: Error) => log.warn(`closed fb: ${e.message}`)).finally(() => fb.gem.put());
    }
    const shown = this.onScreen();
    for (const obj of this.primeObjects.values()) {
      if (!shown.has(obj)) obj.retireReleaseFences();
    }
  }

  /** Sends a VBLANK or FLIP_COMPLETE record the file reserved room for, if the file is still open. */
  sendVblankEvent(file: DrmFile, type: 1 | 2, userData: bigint, crtc: Crtc, sequence: number, timestampNs: bigint): void {
    if (!this.files.has(file)) return;
    const usec = timestampNs / 1000n;
    file.deliver(encodeVblankEvent({ type, userData, tvSec: Number(usec / 1_000_000n), tvUsec: Number(usec % 1_000_000n), sequence, crtcId: crtc.id }));
  }
}
