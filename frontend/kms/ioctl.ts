// Decodes a client's request packet into typed arguments, runs it on the device and builds the reply. Every
// failure, including malformed arguments, becomes an errno reply; nothing a client sends can throw past here.
import { type Fields, uint, optUint, uintArray, obj } from '../../protocol/fields.js';
import { parseModeInfo } from '../../protocol/kms/mode-info.js';
import type { KmsOp, ReplyPacket } from '../../protocol/kms/ops.js';
import { asErrno, pvError } from '../../shared/errors.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';

export interface Reply {
  packet: ReplyPacket;
  fds: number[];
}

type Outcome = object | { result: object; fd: number };
type Handler = (dev: KmsDevice, file: DrmFile, a: Fields) => Promise<Outcome> | Outcome;

function bytes8(a: Fields, key: string): Uint8Array {
  const v = a[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return b;
  }
  if (!(v instanceof Uint8Array) || v.length !== 8) throw pvError('EINVAL', `field '${key}' must be 8 bytes or a safe integer`);
  return v;
}

const HANDLERS: Record<KmsOp, Handler> = {
  VERSION: (dev) => dev.version(),
  GET_CAP: (dev, _f, a) => dev.getCap({ capability: uint(a, 'capability', Number.MAX_SAFE_INTEGER) }),
  SET_CLIENT_CAP: (dev, f, a) => dev.setClientCap(f, { capability: uint(a, 'capability', Number.MAX_SAFE_INTEGER), value: uint(a, 'value', Number.MAX_SAFE_INTEGER) }),
  MODE_GETRESOURCES: (dev, f) => dev.resources(f),
  MODE_GETCONNECTOR: (dev, _f, a) => dev.connector(uint(a, 'connector_id')),
  MODE_GETENCODER: (dev, _f, a) => dev.encoder(uint(a, 'encoder_id')),
  MODE_GETCRTC: (dev, _f, a) => dev.crtc(uint(a, 'crtc_id')),
  MODE_GETPLANERESOURCES: (dev) => dev.planeResources(),
  MODE_GETPLANE: (dev, _f, a) => dev.plane(uint(a, 'plane_id')),
  MODE_CREATE_DUMB: (dev, f, a) =>
    dev.createDumb(f, { width: uint(a, 'width'), height: uint(a, 'height'), bpp: uint(a, 'bpp'), flags: optUint(a, 'flags', 0) }),
  MODE_MAP_DUMB: (dev, f, a) => dev.mapDumb(f, { handle: uint(a, 'handle') }),
  MODE_DESTROY_DUMB: (dev, f, a) => dev.destroyDumb(f, { handle: uint(a, 'handle') }),
  MODE_ADDFB: (dev, f, a) =>
    dev.addFb(f, { width: uint(a, 'width'), height: uint(a, 'height'), pitch: uint(a, 'pitch'), bpp: uint(a, 'bpp'), depth: uint(a, 'depth'), handle: uint(a, 'handle') }),
  MODE_ADDFB2: (dev, f, a) =>
    dev.addFb2(f, {
      width: uint(a, 'width'),
      height: uint(a, 'height'),
      pixel_format: uint(a, 'pixel_format'),
      flags: optUint(a, 'flags', 0),
      handles: uintArray(a, 'handles', 4),
      pitches: uintArray(a, 'pitches', 4),
      offsets: a.offsets === undefined ? [0, 0, 0, 0] : uintArray(a, 'offsets', 4),
      modifier: a.modifier === undefined ? [] : uintArray(a, 'modifier', 4),
    }),
  MODE_RMFB: (dev, f, a) => dev.rmFb(f, { fb_id: uint(a, 'fb_id') }),
  MODE_SETCRTC: (dev, f, a) =>
    dev.setCrtc(f, {
      crtc_id: uint(a, 'crtc_id'),
      fb_id: uint(a, 'fb_id'),
      x: uint(a, 'x'),
      y: uint(a, 'y'),
      connectors: uintArray(a, 'connectors', 64),
      mode: a.mode === null || a.mode === undefined ? null : parseModeInfo(obj(a, 'mode')),
    }),
  MODE_PAGE_FLIP: (dev, f, a) =>
    dev.pageFlip(f, {
      crtc_id: uint(a, 'crtc_id'),
      fb_id: uint(a, 'fb_id'),
      flags: uint(a, 'flags'),
      user_data: bytes8(a, 'user_data'),
      sequence: optUint(a, 'sequence', 0),
    }),
};

export async function runIoctl(dev: KmsDevice, file: DrmFile, packet: Fields): Promise<Reply | undefined> {
  const id = packet.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
  try {
    const op = packet.op;
    const handler = typeof op === 'string' && Object.hasOwn(HANDLERS, op) ? HANDLERS[op as KmsOp] : undefined;
    if (!handler) throw pvError('ENOTTY', `unknown operation ${JSON.stringify(op)}`);
    const args = packet.args === undefined ? {} : obj(packet, 'args');
    const out = await handler(dev, file, args);
    if ('fd' in out && 'result' in out && typeof out.fd === 'number') {
      return { packet: { re: id, ok: out.result as Record<string, unknown> }, fds: [out.fd] };
    }
    return { packet: { re: id, ok: out as Record<string, unknown> }, fds: [] };
  } catch (e) {
    const err = asErrno(e);
    return { packet: { re: id, err: { errno: err.errno, code: err.code, message: err.message } }, fds: [] };
  }
}
