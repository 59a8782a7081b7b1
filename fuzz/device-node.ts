// Attack surface 1, the device node: a hostile client on dri/card0 that sends {id, op, args} requests with every
// op of the device-node protocol (and random op strings), arguments mutated from valid templates, random fds
// attached, packets that are not msgpack maps, opens and abruptly closes connections, and sometimes stops reading
// its replies for a while.
import msgpack from 'msgpack-lite';
import type { KmsOp } from '../protocol/kms/ops.js';
import { Card } from '../frontend/client/card.js';
import type { Prng } from './prng.js';
import { describe, hostileNumber, hostileValue, mutate, type Fields } from './values.js';
import { randomFds } from './fds.js';
import { RawConn } from './raw-conn.js';
import type { Surface } from './surface.js';
import { ConnPool } from './conn-pool.js';

/** Object ids seen on the device (the hostile client targets real objects as well as made-up ones). */
export interface DeviceIds {
  crtcs: number[];
  connectors: number[];
  encoders: number[];
  planes: number[];
}

const MODE = {
  clock: 25175, hdisplay: 640, hsync_start: 656, hsync_end: 752, htotal: 800, hskew: 0, vdisplay: 480, vsync_start: 490,
  vsync_end: 492, vtotal: 525, vscan: 0, vrefresh: 60, flags: 10, type: 64, name: '640x480',
};

type Template = (r: Prng, id: (pool: keyof DeviceIds) => number) => Fields;

const small = (r: Prng) => r.range(0, 8);
const userData = (r: Prng) => r.bytes(8);

/** A valid-looking argument map for every op (`satisfies` keeps the list complete when an op is added). */
const TEMPLATES = {
  VERSION: () => ({}),
  GET_CAP: (r) => ({ capability: r.range(0, 0x20) }),
  SET_CLIENT_CAP: (r) => ({ capability: r.range(0, 6), value: r.range(0, 1) }),
  MODE_GETRESOURCES: () => ({}),
  MODE_GETCONNECTOR: (_r, id) => ({ connector_id: id('connectors') }),
  MODE_GETENCODER: (_r, id) => ({ encoder_id: id('encoders') }),
  MODE_GETCRTC: (_r, id) => ({ crtc_id: id('crtcs') }),
  MODE_GETPLANERESOURCES: () => ({}),
  MODE_GETPLANE: (_r, id) => ({ plane_id: id('planes') }),
  MODE_CREATE_DUMB: (r) => ({ width: r.pick([1, 64, 640, 32768]), height: r.pick([1, 64, 480, 32767]), bpp: r.pick([8, 16, 32]), flags: 0 }),
  MODE_MAP_DUMB: (r) => ({ handle: small(r) }),
  MODE_DESTROY_DUMB: (r) => ({ handle: small(r) }),
  MODE_ADDFB: (r) => ({ width: 64, height: 64, pitch: 256, bpp: 32, depth: 24, handle: small(r) }),
  MODE_ADDFB2: (r) => ({ width: 64, height: 64, pixel_format: 0x34325258, flags: 0, handles: [small(r), 0, 0, 0], pitches: [256, 0, 0, 0], offsets: [0, 0, 0, 0] }),
  MODE_RMFB: (r) => ({ fb_id: r.range(0, 300) }),
  MODE_SETCRTC: (r, id) => ({ crtc_id: id('crtcs'), fb_id: r.range(0, 300), x: 0, y: 0, connectors: [id('connectors')], mode: r.chance(0.8) ? MODE : null }),
  MODE_PAGE_FLIP: (r, id) => ({ crtc_id: id('crtcs'), fb_id: r.range(0, 300), flags: r.pick([0, 1, 2, 3]), user_data: userData(r), out_fence: r.chance(0.3) }),
  MODE_GETFB: (r) => ({ fb_id: r.range(0, 300) }),
  MODE_GETFB2: (r) => ({ fb_id: r.range(0, 300) }),
  GEM_CLOSE: (r) => ({ handle: small(r) }),
  MODE_GETPROPERTY: (r) => ({ prop_id: r.range(0, 64) }),
  MODE_OBJ_GETPROPERTIES: (r, id) => ({ obj_id: id(r.pick(['crtcs', 'connectors', 'planes'] as const)), obj_type: r.pick([0, 0xcccccccc, 0xc0c0c0c0, 0xeeeeeeee]) }),
  MODE_OBJ_SETPROPERTY: (r, id) => ({ obj_id: id('connectors'), obj_type: 0, prop_id: r.range(0, 64), value: hostileNumber(r) }),
  MODE_SETPROPERTY: (r, id) => ({ connector_id: id('connectors'), prop_id: r.range(0, 64), value: r.range(0, 3) }),
  MODE_CREATEPROPBLOB: (r) => ({ data: r.bytes(r.pick([0, 68, 128, 4096])) }),
  MODE_GETPROPBLOB: (r): Fields => (r.chance(0.5) ? { blob_id: r.range(0, 64), length: r.range(0, 256) } : { blob_id: r.range(0, 64) }),
  MODE_DESTROYPROPBLOB: (r) => ({ blob_id: r.range(0, 64) }),
  MODE_ATOMIC: (r, id) => ({
    flags: r.pick([0, 0x100, 0x200, 0x400, 0x301]), objs: [id('crtcs')], count_props: [1], props: [r.range(0, 64)], prop_values: [r.range(0, 300)],
    user_data: userData(r),
  }),
  PRIME_EXPORT_FENCE: (r) => ({ handle: small(r) }),
  PRIME_IMPORT_FENCE: (r) => ({ handle: small(r) }),
  SET_MASTER: () => ({}),
  DROP_MASTER: () => ({}),
  GET_MAGIC: () => ({}),
  AUTH_MAGIC: (r) => ({ magic: r.range(0, 16) }),
  WAIT_VBLANK: (r) => ({ type: r.pick([0, 1, 0x4000000, 0x4000001, 0x8000000]), sequence: r.pick([0, 1, 2, 1000, 2 ** 31]), signal: r.range(0, 9) }),
  CRTC_GET_SEQUENCE: (_r, id) => ({ crtc_id: id('crtcs') }),
  PRIME_HANDLE_TO_FD: (r) => ({ handle: small(r), flags: r.pick([0, 0o2000000, 0o2000002, 2]) }),
  PRIME_FD_TO_HANDLE: () => ({}),
  PVD_STATUS: () => ({}),
  CRTC_QUEUE_SEQUENCE: (r, id) => ({ crtc_id: id('crtcs'), flags: r.pick([0, 1, 2, 3]), sequence: r.pick([0, 1, 5, 2 ** 31]), user_data: r.u32() }),
  GET_UNIQUE: () => ({}),
  SET_VERSION: (r) => ({ di_major: r.pick([-1, 1, 2]), di_minor: r.pick([-1, 0, 4, 5]), dd_major: r.pick([-1, 1]), dd_minor: r.pick([-1, 1, 2]) }),
  MODE_CLOSEFB: (r, id) => ({ fb_id: r.chance(0.5) ? id('crtcs') : small(r), pad: r.pick([0, 0, 1]) }),
  MODE_DIRTYFB: (r) => ({ fb_id: small(r), flags: r.pick([0, 1, 2]), color: r.u32(), num_clips: r.pick([0, 1, 2, 300]), clips: r.chance(0.5) ? null : r.bytes(r.pick([0, 8, 16])) }),
  MODE_CURSOR: (r, id) => ({ flags: r.pick([0, 1, 2, 3, 4]), crtc_id: id('crtcs') }),
  MODE_CURSOR2: (r, id) => ({ flags: r.pick([0, 1, 2, 3, 4]), crtc_id: id('crtcs') }),
  MODE_GETGAMMA: (r, id) => ({ crtc_id: id('crtcs'), gamma_size: r.pick([0, 1, 256]) }),
  MODE_SETGAMMA: (r, id) => ({ crtc_id: id('crtcs'), gamma_size: r.pick([0, 1, 256]) }),
  MODE_SETPLANE: (r, id) => ({
    plane_id: id('planes'), crtc_id: id('crtcs'), fb_id: small(r), flags: 0, crtc_x: r.pick([0, -5]), crtc_y: 0, crtc_w: r.pick([0, 64, 1 << 20]), crtc_h: 64,
    src_x: 0, src_y: 0, src_w: r.pick([0, 64 << 16]), src_h: 64 << 16,
  }),
  PVD_CLOSE: () => ({}),
  PVD_EVENT_FD: (r) => ({ uevents: r.chance(0.5) }),
} satisfies Record<KmsOp, Template>;

const OPS = Object.keys(TEMPLATES) as KmsOp[];
/** Ops whose request carries an fd. */
const FD_OPS = new Set<string>(['PRIME_FD_TO_HANDLE', 'PRIME_IMPORT_FENCE', 'PVD_EVENT_FD']);
const MAX_CONNS = 8;

interface Conn {
  raw: RawConn;
  /** A client that does not read its socket for a while (its replies pile up at the device). */
  reading: boolean;
}

export class DeviceNodeSurface implements Surface {
  readonly name = 'device-node';
  readonly targets = ['frontend'];
  private readonly conns = new ConnPool<Conn>(MAX_CONNS, (c) => c.raw.close());
  private nextId = 1;
  private steps = 0;

  constructor(
    private readonly r: Prng,
    private readonly cardPath: string,
    private readonly ids: DeviceIds,
  ) {}

  async step(): Promise<string> {
    const r = this.r;
    if (this.conns.size > 0 && r.chance(0.03)) {
      this.conns.drop(this.conns.pick(r));
      return 'close a connection abruptly';
    }
    if (this.conns.size === 0 || (!this.conns.full && r.chance(0.03))) {
      try {
        this.conns.add({ raw: new RawConn(this.cardPath), reading: r.chance(0.8) });
      } catch (e) {
        await new Promise((res) => setImmediate(res));
        return `open failed: ${(e as Error).message}`;
      }
    }
    const conn = this.conns.pick(r);
    if (r.chance(0.01)) conn.reading = !conn.reading;
    const { data, what, fdWanted } = this.packet();
    const fds = randomFds(r, fdWanted && r.chance(0.8) ? 1 : r.chance(0.1) ? r.range(1, 3) : 0);
    try {
      conn.raw.sendBytes(data, fds.fds);
    } finally {
      fds.close();
    }
    if (conn.reading) conn.raw.drain();
    if (conn.raw.dead) this.conns.drop(conn);
    // Let the device's loop run between inputs as a real client's round trips would.
    if (++this.steps % 8 === 0) await new Promise((res) => setImmediate(res));
    return `${what}${fds.kinds.length ? ` fds=[${fds.kinds.join(',')}]` : ''}`;
  }

  private packet(): { data: Buffer; what: string; fdWanted: boolean } {
    const r = this.r;
    const kind = r.int(100);
    if (kind < 5) {
      const data = r.chance(0.5) ? r.bytes(r.pick([0, 1, 3, 64, 1000])) : msgpack.encode(r.pick([[1, 2], 42, 'str', null, true]));
      return { data, what: `non-map packet ${describe(data)}`, fdWanted: false };
    }
    const op: unknown = r.chance(0.93) ? r.pick(OPS) : r.chance(0.5) ? r.string(r.pick([0, 5, 100, 200_000])) : hostileValue(r);
    const template = typeof op === 'string' && op in TEMPLATES ? TEMPLATES[op as KmsOp] : undefined;
    const valid = template ? template(r, (pool) => (r.chance(0.9) && this.ids[pool].length > 0 ? r.pick(this.ids[pool]) : hostileNumber(r))) : {};
    const args = r.chance(0.2) ? valid : r.chance(0.9) ? mutate(r, valid as Fields) : hostileValue(r);
    const id: unknown = r.chance(0.97) ? this.nextId++ : hostileValue(r);
    const msg: Record<string, unknown> = { id, op, args };
    if (r.chance(0.03)) delete msg[r.pick(['id', 'op', 'args'])];
    return { data: msgpack.encode(msg), what: describe(msg), fdWanted: typeof op === 'string' && FD_OPS.has(op) };
  }

  async probe(): Promise<void> {
    const card = Card.open(this.cardPath);
    try {
      await card.call('VERSION', {});
    } finally {
      card.close();
    }
  }

  async endBatch(): Promise<void> {
    this.conns.closeAll();
  }
}
