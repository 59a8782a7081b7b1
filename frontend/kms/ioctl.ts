// Decodes a client's request packet into typed arguments, runs it on the device and builds the reply. Every
// failure, including malformed arguments, becomes an errno reply; nothing a client sends can throw past here.
import { type Fields, uint, optUint, uintArray, obj, int, bool } from '../../protocol/fields.js';
import { clip, quote } from '../../protocol/quote.js';
import { parseModeInfo } from '../../protocol/kms/mode-info.js';
import type { KmsOp, ReplyPacket } from '../../protocol/kms/ops.js';
import { asErrno, pvError } from '../../shared/errors.js';
import { atomicCommit } from './atomic.js';
import type { KmsDevice } from './device.js';
import { addFb, addFb2, closeFb, dirtyFb, getFb, getFb2, rmFb } from './fb-ops.js';
import { cursor, getGamma, setGamma } from './cursor-gamma.js';
import type { DrmFile } from './file.js';
import { closeHandle, createDumb, mapDumb } from './gem-ops.js';
import { pageFlip, setCrtc, setPlane, setProperty } from './legacy.js';
import { authMagic, dropMaster, getMagic, setMaster } from './master.js';
import * as q from './queries.js';
import { getSequence, queueSequence, waitVblank } from './vblank-ops.js';
import { openEventSink } from './event-sink.js';
import { closeFile } from './close.js';
import { exportFence, fdToHandle, handleToFd, importFence } from './prime.js';
import type { Fence } from '../../shared/fence.js';
import * as native from '../../shared/native/index.js';
import { logger } from '../../shared/log.js';

const log = logger('ioctl');

export interface Reply {
  packet: ReplyPacket;
  fds: number[];
  /** Fds that exist only for this reply: close them once it is sent. */
  owned: number[];
}

/** A plain result, or one with fds riding along (`owned`: made for this reply, close after sending). */
type Outcome = object | WithFds;
interface WithFds {
  result: object;
  fds: number[];
  owned: boolean;
}

/** Out-fences ride along with the reply; this side's read ends go with it. */
function withFences(result: object, fences: (Fence | null | undefined)[]): WithFds {
  return { result, fds: fences.filter((f): f is Fence => !!f).map((f) => f.fd), owned: true };
}
/** `fds` are the ones the request carried; a handler that keeps one takes it out of the array. */
type Handler = (dev: KmsDevice, file: DrmFile, a: Fields, fds: number[]) => Promise<Outcome> | Outcome;

const EMPTY = {};
const U64_SAFE = Number.MAX_SAFE_INTEGER;

/** A u64 as 8 little-endian bytes or a safe integer. */
function u64(a: Fields, key: string, dflt?: bigint): bigint {
  const v = a[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (!(v instanceof Uint8Array) || v.length !== 8) throw pvError('EINVAL', `field '${key}' must be 8 bytes or a safe integer`);
  return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
}

function bytes(a: Fields, key: string): Uint8Array {
  const v = a[key];
  if (!(v instanceof Uint8Array)) throw pvError('EINVAL', `field '${key}' must be binary`);
  return v;
}

/** One fd riding along: borrowed (the object's own memfd) unless `owned`. */
function one(r: { result: object; fd: number; owned?: boolean }): WithFds {
  return { result: r.result, fds: [r.fd], owned: r.owned ?? false };
}

/** Property values: unsigned up to 2^53, or negative for signed ranges. */
function values(a: Fields, key: string, max: number): number[] {
  const v = a[key];
  if (!Array.isArray(v) || v.length > max) throw pvError('EINVAL', `field '${key}' must be an array of at most ${max} integers`);
  return v.map((x, i) => int({ [`${key}[${i}]`]: x }, `${key}[${i}]`));
}

const HANDLERS: Record<KmsOp, Handler> = {
  VERSION: (dev) => q.version(dev),
  GET_CAP: (_d, _f, a) => q.getCap({ capability: uint(a, 'capability', U64_SAFE) }),
  GET_UNIQUE: (_d, f) => q.getUnique(f),
  SET_VERSION: (dev, f, a) =>
    q.setVersion(dev, f, { di_major: int(a, 'di_major'), di_minor: int(a, 'di_minor'), dd_major: int(a, 'dd_major'), dd_minor: int(a, 'dd_minor') }),
  SET_CLIENT_CAP: (_d, f, a) => q.setClientCap(f, { capability: uint(a, 'capability', U64_SAFE), value: uint(a, 'value', U64_SAFE) }),
  MODE_GETRESOURCES: (dev, f) => q.resources(dev, f),
  MODE_GETCONNECTOR: (dev, _f, a) => q.connector(dev, { connector_id: uint(a, 'connector_id') }),
  MODE_GETENCODER: (dev, _f, a) => q.encoder(dev, { encoder_id: uint(a, 'encoder_id') }),
  MODE_GETCRTC: (dev, _f, a) => q.crtc(dev, { crtc_id: uint(a, 'crtc_id') }),
  MODE_GETPLANERESOURCES: (dev, f) => q.planeResources(dev, f),
  MODE_GETPLANE: (dev, _f, a) => q.plane(dev, { plane_id: uint(a, 'plane_id') }),
  MODE_GETPROPERTY: (dev, _f, a) => q.getProperty(dev, { prop_id: uint(a, 'prop_id') }),
  MODE_OBJ_GETPROPERTIES: (dev, f, a) => q.objGetProperties(dev, f, { obj_id: uint(a, 'obj_id'), obj_type: optUint(a, 'obj_type', 0) }),
  MODE_OBJ_SETPROPERTY: (dev, f, a) =>
    setProperty(dev, f, { obj_id: uint(a, 'obj_id'), obj_type: optUint(a, 'obj_type', 0), prop_id: uint(a, 'prop_id'), value: int(a, 'value') }).then(() => EMPTY),
  MODE_SETPROPERTY: (dev, f, a) =>
    setProperty(dev, f, { obj_id: uint(a, 'connector_id'), obj_type: 0xc0c0c0c0, prop_id: uint(a, 'prop_id'), value: int(a, 'value') }).then(() => EMPTY),
  MODE_CREATEPROPBLOB: (dev, f, a) => q.createPropBlob(dev, f, { data: bytes(a, 'data') }),
  MODE_GETPROPBLOB: (dev, _f, a) => q.getPropBlob(dev, { blob_id: uint(a, 'blob_id'), length: a.length === undefined ? undefined : uint(a, 'length') }),
  MODE_DESTROYPROPBLOB: (dev, f, a) => q.destroyPropBlob(dev, f, { blob_id: uint(a, 'blob_id') }),
  MODE_CREATE_DUMB: (dev, f, a) => createDumb(dev, f, { width: uint(a, 'width'), height: uint(a, 'height'), bpp: uint(a, 'bpp'), flags: optUint(a, 'flags', 0) }),
  MODE_MAP_DUMB: (_d, f, a) => one(mapDumb(f, { handle: uint(a, 'handle') })),
  MODE_DESTROY_DUMB: (_d, f, a) => closeHandle(f, uint(a, 'handle')),
  GEM_CLOSE: (_d, f, a) => closeHandle(f, uint(a, 'handle')),
  MODE_ADDFB: (dev, f, a) =>
    addFb(dev, f, { width: uint(a, 'width'), height: uint(a, 'height'), pitch: uint(a, 'pitch'), bpp: uint(a, 'bpp'), depth: uint(a, 'depth'), handle: uint(a, 'handle') }),
  MODE_ADDFB2: (dev, f, a) =>
    addFb2(dev, f, {
      width: uint(a, 'width'),
      height: uint(a, 'height'),
      pixel_format: uint(a, 'pixel_format'),
      flags: optUint(a, 'flags', 0),
      handles: uintArray(a, 'handles', 4),
      pitches: uintArray(a, 'pitches', 4),
      offsets: a.offsets === undefined ? [0, 0, 0, 0] : uintArray(a, 'offsets', 4),
      modifier: a.modifier === undefined ? [] : uintArray(a, 'modifier', 4),
    }),
  MODE_RMFB: (dev, f, a) => rmFb(dev, f, { fb_id: uint(a, 'fb_id') }),
  MODE_CLOSEFB: (dev, f, a) => closeFb(dev, f, { fb_id: uint(a, 'fb_id'), pad: optUint(a, 'pad', 0) }),
  MODE_DIRTYFB: (dev, f, a) =>
    dirtyFb(dev, f, { fb_id: uint(a, 'fb_id'), flags: optUint(a, 'flags', 0), color: optUint(a, 'color', 0), num_clips: uint(a, 'num_clips'), clips: a.clips === null || a.clips === undefined ? null : bytes(a, 'clips') }),
  MODE_CURSOR: (dev, f, a) => cursor(dev, f, { flags: uint(a, 'flags'), crtc_id: uint(a, 'crtc_id') }),
  MODE_CURSOR2: (dev, f, a) => cursor(dev, f, { flags: uint(a, 'flags'), crtc_id: uint(a, 'crtc_id') }),
  MODE_GETGAMMA: (dev, _f, a) => getGamma(dev, { crtc_id: uint(a, 'crtc_id'), gamma_size: uint(a, 'gamma_size') }),
  MODE_SETGAMMA: (dev, f, a) => setGamma(dev, f, { crtc_id: uint(a, 'crtc_id'), gamma_size: uint(a, 'gamma_size') }),
  MODE_GETFB: (dev, f, a) => getFb(dev, f, { fb_id: uint(a, 'fb_id') }),
  MODE_GETFB2: (dev, f, a) => getFb2(dev, f, { fb_id: uint(a, 'fb_id') }),
  MODE_SETCRTC: (dev, f, a) =>
    setCrtc(dev, f, {
      crtc_id: uint(a, 'crtc_id'),
      fb_id: uint(a, 'fb_id'),
      x: uint(a, 'x'),
      y: uint(a, 'y'),
      connectors: uintArray(a, 'connectors', 64),
      mode: a.mode === null || a.mode === undefined ? null : parseModeInfo(obj(a, 'mode')),
    }).then(() => EMPTY),
  MODE_SETPLANE: (dev, f, a) =>
    setPlane(dev, f, {
      plane_id: uint(a, 'plane_id'),
      crtc_id: uint(a, 'crtc_id'),
      fb_id: uint(a, 'fb_id'),
      flags: optUint(a, 'flags', 0),
      crtc_x: int(a, 'crtc_x'),
      crtc_y: int(a, 'crtc_y'),
      crtc_w: uint(a, 'crtc_w'),
      crtc_h: uint(a, 'crtc_h'),
      src_x: uint(a, 'src_x'),
      src_y: uint(a, 'src_y'),
      src_w: uint(a, 'src_w'),
      src_h: uint(a, 'src_h'),
    }).then(() => EMPTY),
  MODE_PAGE_FLIP: (dev, f, a) =>
    pageFlip(dev, f, {
      crtc_id: uint(a, 'crtc_id'),
      fb_id: uint(a, 'fb_id'),
      flags: uint(a, 'flags'),
      userData: u64(a, 'user_data'),
      sequence: optUint(a, 'sequence', 0),
      out_fence: bool(a, 'out_fence', false),
    }).then((fence) => (fence ? withFences({ out_fence: 0 }, [fence]) : EMPTY)),
  MODE_ATOMIC: (dev, f, a, fds) =>
    atomicCommit(
      dev,
      f,
      {
      flags: uint(a, 'flags'),
      objs: uintArray(a, 'objs', 4096),
      count_props: uintArray(a, 'count_props', 4096),
      props: uintArray(a, 'props', 65536),
      prop_values: values(a, 'prop_values', 65536),
      reserved: optUint(a, 'reserved', 0),
      user_data: u64(a, 'user_data', 0n),
      },
      fds,
    ).then(({ outFences }) => {
      let next = 0;
      const out_fences = outFences.map(({ crtcId, fence }) => ({ crtc_id: crtcId, fd_index: fence ? next++ : -1 }));
      return withFences({ out_fences }, outFences.map((o) => o.fence));
    }),
  SET_MASTER: (dev, f) => setMaster(dev, f),
  DROP_MASTER: (dev, f) => dropMaster(dev, f),
  GET_MAGIC: (dev, f) => getMagic(dev, f),
  AUTH_MAGIC: (dev, f, a) => authMagic(dev, f, { magic: uint(a, 'magic') }),
  WAIT_VBLANK: (dev, f, a) => waitVblank(dev, f, { type: uint(a, 'type'), sequence: uint(a, 'sequence'), signal: optUint(a, 'signal', 0, U64_SAFE) }),
  PRIME_HANDLE_TO_FD: (dev, f, a) => one(handleToFd(dev, f, { handle: uint(a, 'handle'), flags: optUint(a, 'flags', 0) })),
  PRIME_FD_TO_HANDLE: (dev, f, _a, fds) => fdToHandle(dev, f, fds.shift()),
  PRIME_EXPORT_FENCE: (dev, f, a) => one(exportFence(dev, f, uint(a, 'handle'))),
  PRIME_IMPORT_FENCE: (dev, f, a, fds) => importFence(dev, f, uint(a, 'handle'), fds.shift()),
  PVD_STATUS: (dev) => ({ unplugged: dev.unplugged, crtcs: dev.crtcs.map((c) => ({ crtc_id: c.id, frame_done_timeouts: c.frameDoneTimeouts, fence_timeouts: c.fenceTimeouts, pending_vblank_waits: c.vblank.pending })) }),
  PVD_CLOSE: (dev, f) => closeFile(dev, f).then(() => EMPTY),
  PVD_EVENT_FD: (_d, f, a, fds) => openEventSink(f, bool(a, 'uevents', true), fds.shift()),
  CRTC_GET_SEQUENCE: (dev, _f, a) => getSequence(dev, { crtc_id: uint(a, 'crtc_id') }),
  CRTC_QUEUE_SEQUENCE: (dev, f, a) =>
    queueSequence(dev, f, { crtc_id: uint(a, 'crtc_id'), flags: optUint(a, 'flags', 0), sequence: uint(a, 'sequence'), user_data: optUint(a, 'user_data', 0, U64_SAFE) }),
};

/** Operations that may block for long; they do not hold up the file's later requests (a thread per waiter). */
export function isDetached(packet: Fields): boolean {
  return packet.op === 'WAIT_VBLANK';
}

/** Runs one request; the fds it carried are consumed (kept by the handler or closed here). */
export async function runIoctl(dev: KmsDevice, file: DrmFile, packet: Fields, fds: number[] = []): Promise<Reply | undefined> {
  try {
    return await dispatch(dev, file, packet, fds);
  } finally {
    for (const fd of fds) native.close(fd);
  }
}

async function dispatch(dev: KmsDevice, file: DrmFile, packet: Fields, fds: number[]): Promise<Reply | undefined> {
  const id = packet.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
  try {
    const op = packet.op;
    const handler = typeof op === 'string' && Object.hasOwn(HANDLERS, op) ? HANDLERS[op as KmsOp] : undefined;
    if (!handler) throw pvError('ENOTTY', `unknown operation ${quote(op)}`);
    // close(2) works on an unplugged device too.
    if (dev.unplugged && op !== 'PVD_CLOSE') throw pvError('ENODEV', 'the device was unplugged: its backend is gone');
    if (!dev.files.has(file)) throw pvError('EBADF', 'this file was closed (PVD_CLOSE)');
    const args = packet.args === undefined ? {} : obj(packet, 'args');
    const out = await handler(dev, file, args, fds);
    if ('fds' in out && 'result' in out) {
      const w = out as WithFds;
      return { packet: { re: id, ok: w.result as Record<string, unknown> }, fds: w.fds, owned: w.owned ? w.fds : [] };
    }
    return { packet: { re: id, ok: out as Record<string, unknown> }, fds: [], owned: [] };
  } catch (e) {
    const err = asErrno(e);
    log.debug(`${quote(packet.op)}: ${err.message}`);
    return { packet: { re: id, err: { errno: err.errno, code: err.code, message: clip(err.message) } }, fds: [], owned: [] };
  }
}
