// The KMS device model: mode objects built from the backend's connectors, the open files, and the operations a
// client can call, with the kernel's checks in the kernel's order. Talks to the backend only via DisplayBackend.
import { DRM_CAP, DRM_CLIENT_CAP, EVENT_TYPE, OBJECT_TYPE, PAGE_FLIP, PAGE_FLIP_FLAGS } from '../../protocol/kms/constants.js';
import { encodeVblankEvent } from '../../protocol/kms/event.js';
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { formatByFourcc, formatForBppDepth } from '../../protocol/formats.js';
import { pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { DisplayBackend } from './backend.js';
import { Connector } from './connector.js';
import { Crtc } from './crtc.js';
import { dumbGeometry } from './dumb.js';
import { Encoder } from './encoder.js';
import { DrmFile } from './file.js';
import { Framebuffer } from './framebuffer.js';
import { GemObject } from './gem.js';
import { ModeObjects } from './mode-objects.js';
import { validateMode } from './modes.js';
import { Plane } from './plane.js';

const log = logger('kms');

/** Linux's mode_config limits for the Xen frontend. */
export const MAX_WIDTH = 4095;
export const MAX_HEIGHT = 2047;

export interface DeviceOptions {
  /** How long a flip may wait for the backend's frame-done event before its event is sent anyway (Linux: 3100). */
  frameDoneTimeoutMs: number;
}

type Empty = Record<string, never>;
const EMPTY: Empty = {};

export class KmsDevice {
  readonly objects = new ModeObjects();
  readonly connectors: Connector[] = [];
  readonly encoders: Encoder[] = [];
  readonly crtcs: Crtc[] = [];
  readonly planes: Plane[] = [];
  private readonly files = new Set<DrmFile>();
  private master: DrmFile | null = null;
  private nextFile = 1;
  private nextCookie = 1n;

  constructor(
    private readonly backend: DisplayBackend,
    private readonly options: DeviceOptions,
  ) {
    // Ids in the kernel's creation order: planes and CRTCs, then encoders, then connectors.
    for (const cfg of backend.connectors) {
      const plane = this.objects.add(new Plane(this.objects.allocate(), cfg.index));
      this.planes.push(plane);
      this.crtcs.push(this.objects.add(new Crtc(this.objects.allocate(), cfg.index, plane)));
    }
    for (const crtc of this.crtcs) this.encoders.push(this.objects.add(new Encoder(this.objects.allocate(), crtc.id, crtc.index)));
    for (const cfg of backend.connectors) {
      const enc = this.encoders[cfg.index]!;
      this.connectors.push(this.objects.add(new Connector(this.objects.allocate(), enc.id, cfg)));
    }
    backend.onFrameDone((index) => this.frameDone(index));
  }

  // ---- files ----

  open(sendEvent: (record: Uint8Array) => void): DrmFile {
    const file = new DrmFile(this.nextFile++, sendEvent);
    this.files.add(file);
    if (!this.master) this.master = file;
    return file;
  }

  /** Closing a file removes its framebuffers and drops its handles (K-FB-22). */
  async close(file: DrmFile): Promise<void> {
    if (!this.files.delete(file)) return;
    if (this.master === file) this.master = null;
    for (const fb of [...file.fbs]) await this.removeFb(file, fb).catch((e: Error) => log.warn(`close: ${e.message}`));
    for (const obj of file.handles.values()) obj.put();
    file.handles.clear();
  }

  private requireMaster(file: DrmFile): void {
    if (this.master !== file) throw pvError('EACCES', 'only the DRM master may modeset');
  }

  // ---- queries ----

  version(): KmsResult<'VERSION'> {
    return { major: 1, minor: 0, patch: 0, name: 'pvdisplay', date: '20261121', desc: `Para-virtual display (displif v${this.backend.version})` };
  }

  getCap(args: KmsArgs<'GET_CAP'>): KmsResult<'GET_CAP'> {
    const caps: Record<number, number> = {
      [DRM_CAP.DUMB_BUFFER]: 1,
      [DRM_CAP.DUMB_PREFERRED_DEPTH]: 24,
      [DRM_CAP.DUMB_PREFER_SHADOW]: 0,
      [DRM_CAP.TIMESTAMP_MONOTONIC]: 1,
      [DRM_CAP.ASYNC_PAGE_FLIP]: 0,
      [DRM_CAP.ADDFB2_MODIFIERS]: 0,
      [DRM_CAP.PAGE_FLIP_TARGET]: 0,
      [DRM_CAP.CRTC_IN_VBLANK_EVENT]: 1,
      [DRM_CAP.VBLANK_HIGH_CRTC]: 1,
    };
    const value = caps[args.capability];
    if (value === undefined) throw pvError('EINVAL', `unknown capability ${args.capability}`);
    return { value };
  }

  setClientCap(file: DrmFile, args: KmsArgs<'SET_CLIENT_CAP'>): Empty {
    const known: number[] = [DRM_CLIENT_CAP.STEREO_3D, DRM_CLIENT_CAP.UNIVERSAL_PLANES, DRM_CLIENT_CAP.ATOMIC, DRM_CLIENT_CAP.ASPECT_RATIO];
    if (!known.includes(args.capability) || args.value > 1) throw pvError('EINVAL', `unsupported client cap ${args.capability}=${args.value}`);
    file.clientCaps.set(args.capability, args.value);
    return EMPTY;
  }

  resources(file: DrmFile): KmsResult<'MODE_GETRESOURCES'> {
    return {
      fbs: [...file.fbs].map((fb) => fb.id),
      crtcs: this.crtcs.map((c) => c.id),
      connectors: this.connectors.map((c) => c.id),
      encoders: this.encoders.map((e) => e.id),
      min_width: 0,
      max_width: MAX_WIDTH,
      min_height: 0,
      max_height: MAX_HEIGHT,
    };
  }

  connector(id: number): KmsResult<'MODE_GETCONNECTOR'> {
    return this.objects.lookup<Connector>(id, OBJECT_TYPE.CONNECTOR, 'connector').info();
  }

  encoder(id: number): KmsResult<'MODE_GETENCODER'> {
    const enc = this.objects.lookup<Encoder>(id, OBJECT_TYPE.ENCODER, 'encoder');
    return enc.info(this.crtcs[enc.crtcIndex]!.active);
  }

  crtc(id: number): KmsResult<'MODE_GETCRTC'> {
    return this.objects.lookup<Crtc>(id, OBJECT_TYPE.CRTC, 'CRTC').info();
  }

  planeResources(): KmsResult<'MODE_GETPLANERESOURCES'> {
    return { planes: this.planes.map((p) => p.id) };
  }

  plane(id: number): KmsResult<'MODE_GETPLANE'> {
    const plane = this.objects.lookup<Plane>(id, OBJECT_TYPE.PLANE, 'plane');
    const crtc = this.crtcs[plane.crtcIndex]!;
    return plane.info(crtc.fb ? crtc.id : 0, crtc.fb?.id ?? 0);
  }

  // ---- dumb buffers ----

  /** The handle is published only after the backend acknowledged DBUF_CREATE. */
  async createDumb(file: DrmFile, args: KmsArgs<'MODE_CREATE_DUMB'>): Promise<KmsResult<'MODE_CREATE_DUMB'>> {
    const geo = dumbGeometry(args.width, args.height, args.bpp);
    const cookie = this.nextCookie++;
    const seg = this.backend.createSegment(`pvdisplay-dumb-${cookie}`, geo.size);
    try {
      await this.backend.createDbuf({ cookie, seg, width: args.width, height: args.height, bpp: args.bpp, size: geo.bytes });
    } catch (e) {
      seg.release();
      throw e;
    }
    const obj = new GemObject(seg, cookie, args.width, args.height, args.bpp, geo.pitch, geo.size, (o) => this.freeGem(o));
    return { handle: file.newHandle(obj.get()), pitch: geo.pitch, size: geo.size };
  }

  /** The buffer's memfd: the client maps it itself. */
  mapDumb(file: DrmFile, args: KmsArgs<'MODE_MAP_DUMB'>): { result: KmsResult<'MODE_MAP_DUMB'>; fd: number } {
    const obj = file.handles.get(args.handle);
    if (!obj) throw pvError('ENOENT', `no buffer with handle ${args.handle}`);
    return { result: { offset: 0, size: obj.size }, fd: obj.seg.fd };
  }

  destroyDumb(file: DrmFile, args: KmsArgs<'MODE_DESTROY_DUMB'>): Empty {
    const obj = file.handles.get(args.handle);
    if (!obj) throw pvError('EINVAL', `no buffer with handle ${args.handle}`);
    file.handles.delete(args.handle);
    obj.put();
    return EMPTY;
  }

  private freeGem(obj: GemObject): void {
    this.backend.destroyDbuf(obj.cookie, obj.seg).catch((e: Error) => log.warn(`DBUF_DESTROY: ${e.message}`));
  }

  // ---- framebuffers ----

  async addFb(file: DrmFile, args: KmsArgs<'MODE_ADDFB'>): Promise<KmsResult<'MODE_ADDFB'>> {
    const format = formatForBppDepth(args.bpp, args.depth);
    if (!format) throw pvError('EINVAL', `no format for bpp ${args.bpp} depth ${args.depth}`);
    return this.addFb2(file, {
      width: args.width,
      height: args.height,
      pixel_format: format.fourcc,
      flags: 0,
      handles: [args.handle, 0, 0, 0],
      pitches: [args.pitch, 0, 0, 0],
      offsets: [0, 0, 0, 0],
    });
  }

  async addFb2(file: DrmFile, args: KmsArgs<'MODE_ADDFB2'>): Promise<KmsResult<'MODE_ADDFB2'>> {
    if (args.flags & ~0x3) throw pvError('EINVAL', `bad ADDFB2 flags 0x${args.flags.toString(16)}`);
    if (args.flags & 0x2) throw pvError('EINVAL', 'modifiers are not supported');
    if (args.width > MAX_WIDTH || args.height > MAX_HEIGHT) throw pvError('EINVAL', `${args.width}x${args.height} exceeds ${MAX_WIDTH}x${MAX_HEIGHT}`);
    const format = formatByFourcc(args.pixel_format);
    if (!format) throw pvError('EINVAL', `unknown pixel format 0x${args.pixel_format.toString(16)}`);
    if (args.width === 0 || args.height === 0) throw pvError('EINVAL', 'width and height must be non-zero');
    if ((args.modifier ?? []).some((m) => m !== 0)) throw pvError('EINVAL', 'modifier without the MODIFIERS flag');
    const handle = args.handles[0] ?? 0;
    const pitch = args.pitches[0] ?? 0;
    const offset = args.offsets[0] ?? 0;
    if (handle === 0) throw pvError('EINVAL', 'plane 0 has no handle');
    const minPitch = format.cpp * args.width;
    if (pitch * args.height + offset > 0xffffffff) throw pvError('ERANGE', 'pitch × height + offset overflows 32 bits');
    if (pitch < minPitch) throw pvError('EINVAL', `pitch ${pitch} below the minimum ${minPitch}`);
    const obj = file.handles.get(handle);
    if (!obj) throw pvError('ENOENT', `no buffer with handle ${handle}`);
    if (obj.size < (args.height - 1) * pitch + minPitch + offset) throw pvError('EINVAL', `buffer of ${obj.size} bytes too small for the framebuffer`);
    // displif carries no pitch or offset: the backend reads rows at the dbuf's own pitch from its start.
    if (pitch !== obj.pitch || offset !== 0) throw pvError('EINVAL', `pitch must be the buffer's (${obj.pitch}) and offset 0 over displif`);
    const cookie = this.nextCookie++;
    await this.backend.attachFb(obj.cookie, cookie, args.width, args.height, format.fourcc);
    const fb = this.objects.add(new Framebuffer(this.objects.allocate(), file, obj.get(), cookie, args.width, args.height, format, pitch, offset));
    file.fbs.add(fb);
    return { fb_id: fb.id };
  }

  async rmFb(file: DrmFile, args: KmsArgs<'MODE_RMFB'>): Promise<Empty> {
    const fb = this.objects.lookup<Framebuffer>(args.fb_id, OBJECT_TYPE.FB, 'framebuffer');
    if (fb.owner !== file) throw pvError('ENOENT', `framebuffer ${args.fb_id} belongs to another file`);
    await this.removeFb(file, fb);
    return EMPTY;
  }

  /** Disables every CRTC that shows the fb (K-FB-21), then detaches it. */
  private async removeFb(file: DrmFile, fb: Framebuffer): Promise<void> {
    file.fbs.delete(fb);
    this.objects.remove(fb);
    for (const crtc of this.crtcs) if (crtc.fb === fb) await this.disable(crtc);
    try {
      await this.backend.detachFb(fb.cookie);
    } finally {
      fb.gem.put();
    }
  }

  // ---- modeset and flips ----

  async setCrtc(file: DrmFile, args: KmsArgs<'MODE_SETCRTC'>): Promise<Empty> {
    this.requireMaster(file);
    const crtc = this.objects.lookup<Crtc>(args.crtc_id, OBJECT_TYPE.CRTC, 'CRTC');
    if (!args.mode || args.fb_id === 0) {
      if (args.connectors.length > 0 && !args.mode) throw pvError('EINVAL', 'connectors given without a mode');
      await this.disable(crtc);
      return EMPTY;
    }
    const fb = this.objects.lookup<Framebuffer>(args.fb_id, OBJECT_TYPE.FB, 'framebuffer');
    const connector = this.connectors[crtc.index]!;
    if (args.connectors.length !== 1) throw pvError('EINVAL', 'a CRTC drives exactly one connector');
    const conn = this.objects.lookup<Connector>(args.connectors[0]!, OBJECT_TYPE.CONNECTOR, 'connector');
    if (conn !== connector) throw pvError('EINVAL', `connector ${conn.id} cannot be driven by CRTC ${crtc.id}`);
    validateMode(args.mode, connector);
    if (!crtc.plane.supports(fb.format.fourcc)) throw pvError('EINVAL', `plane cannot scan out ${fb.format.name}`);
    if (args.x + args.mode.hdisplay > fb.width || args.y + args.mode.vdisplay > fb.height) {
      throw pvError('ENOSPC', `framebuffer ${fb.width}x${fb.height} too small for ${args.mode.hdisplay}x${args.mode.vdisplay}+${args.x}+${args.y}`);
    }
    await this.backend.setConfig(crtc.index, {
      fbCookie: fb.cookie,
      x: args.x,
      y: args.y,
      width: args.mode.hdisplay,
      height: args.mode.vdisplay,
      bpp: fb.format.bpp,
    });
    crtc.fb = fb;
    crtc.mode = { ...args.mode };
    crtc.x = args.x;
    crtc.y = args.y;
    return EMPTY;
  }

  private async disable(crtc: Crtc): Promise<void> {
    const wasActive = crtc.active;
    crtc.fb = null;
    crtc.mode = null;
    if (wasActive) await this.backend.setConfig(crtc.index, null);
  }

  pageFlip(file: DrmFile, args: KmsArgs<'MODE_PAGE_FLIP'>): Empty {
    this.requireMaster(file);
    if (args.flags & ~PAGE_FLIP_FLAGS) throw pvError('EINVAL', `bad page-flip flags 0x${args.flags.toString(16)}`);
    const target = args.flags & (PAGE_FLIP.TARGET_ABSOLUTE | PAGE_FLIP.TARGET_RELATIVE);
    if ((args.sequence ?? 0) !== 0 && !target) throw pvError('EINVAL', 'sequence given without a TARGET flag');
    if (target === (PAGE_FLIP.TARGET_ABSOLUTE | PAGE_FLIP.TARGET_RELATIVE)) throw pvError('EINVAL', 'both TARGET flags');
    if (args.flags & PAGE_FLIP.ASYNC) throw pvError('EINVAL', 'async flips are not supported');
    const crtc = this.objects.lookup<Crtc>(args.crtc_id, OBJECT_TYPE.CRTC, 'CRTC');
    if (target) throw pvError('EINVAL', 'targeted flips are not supported');
    const current = crtc.fb;
    if (!current || !crtc.mode) throw pvError('EBUSY', `CRTC ${crtc.id} has no framebuffer`);
    const fb = this.objects.lookup<Framebuffer>(args.fb_id, OBJECT_TYPE.FB, 'framebuffer');
    if (fb.width < crtc.x + crtc.mode.hdisplay || fb.height < crtc.y + crtc.mode.vdisplay) {
      throw pvError('ENOSPC', `framebuffer ${fb.width}x${fb.height} smaller than the CRTC viewport`);
    }
    if (fb.format.fourcc !== current.format.fourcc) throw pvError('EINVAL', 'page flip cannot change the pixel format');
    if (crtc.pending) throw pvError('EBUSY', `a flip is already pending on CRTC ${crtc.id}`);
    const wantEvent = (args.flags & PAGE_FLIP.EVENT) !== 0;
    if (wantEvent) file.reserveEvent();
    const userData = userDataOf(args.user_data);
    let done = false;
    const complete = (sequence: number, timestampNs: bigint): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (crtc.pending?.timer === timer) crtc.pending = null;
      if (wantEvent && this.files.has(file)) {
        const usec = timestampNs / 1000n;
        file.deliver(
          encodeVblankEvent({
            type: EVENT_TYPE.FLIP_COMPLETE,
            userData,
            tvSec: Number(usec / 1_000_000n),
            tvUsec: Number(usec % 1_000_000n),
            sequence,
            crtcId: crtc.id,
          }),
        );
      }
    };
    // The frame-done timer: a backend that never answers must not hang the client.
    const timer = setTimeout(() => {
      crtc.frameDoneTimeouts++;
      log.warn(`CRTC ${crtc.id}: frame done timed out after ${this.options.frameDoneTimeoutMs} ms, releasing`);
      complete(crtc.vblankCount, now());
    }, this.options.frameDoneTimeoutMs);
    crtc.pending = { complete, timer };
    crtc.fb = fb;
    this.backend.pageFlip(crtc.index, fb.cookie).catch((e: Error) => {
      // As Linux: a failed PG_FLIP marks the connector disconnected and releases the event at once.
      log.warn(`PG_FLIP on connector ${crtc.index}: ${e.message}`);
      this.connectors[crtc.index]!.connected = false;
      complete(crtc.vblankCount, now());
    });
    return EMPTY;
  }

  private frameDone(index: number): void {
    const crtc = this.crtcs[index];
    if (!crtc) return;
    crtc.vblankCount = (crtc.vblankCount + 1) >>> 0;
    crtc.vblankTimestampNs = now();
    crtc.pending?.complete(crtc.vblankCount, crtc.vblankTimestampNs);
  }
}

function now(): bigint {
  return process.hrtime.bigint(); // CLOCK_MONOTONIC, as DRM_CAP_TIMESTAMP_MONOTONIC promises
}

function userDataOf(bytes: Uint8Array): bigint {
  if (bytes.length !== 8) throw pvError('EINVAL', 'user_data must be 8 bytes');
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}
