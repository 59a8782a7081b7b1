// Attack surface 2, the control channel: hostile frontends on backend.sock. Each connection says hello (or not)
// and then sends control messages mutated from valid ones — store writes and transactions anywhere, segments of
// wrong sizes and fd kinds, grants and ungrants of random ranges, event channels made of pipes, sockets or full
// eventfds, syncs, unknown types, packets that are not maps — or walks to Connected and writes raw displif
// requests into its ring (mutated opcodes and fields, lying ring indices).
import msgpack from 'msgpack-lite';
import { Op } from '../protocol/displif/constants.js';
import { XenbusState } from '../protocol/bus/xenbus-state.js';
import * as native from '../shared/native/index.js';
import type { Prng } from './prng.js';
import { describe, hostileNumber, hostileValue, mutate, type Fields } from './values.js';
import { makeFd, randomFds, FD_KINDS } from './fds.js';
import { HostileFrontend } from './raw-frontend-driver.js';
import type { Surface } from './surface.js';
import { ConnPool } from './conn-pool.js';

const MAX_CONNS = 4;

interface Conn {
  fe: HostileFrontend;
  /** This connection walks to Connected and fuzzes its ring. */
  ring: boolean;
}

export class ControlSurface implements Surface {
  readonly name = 'control';
  readonly targets = ['backend'];
  private readonly conns = new ConnPool<Conn>(MAX_CONNS, (c) => c.fe.close());
  private nextSync = 1;

  constructor(
    private readonly r: Prng,
    private readonly socketPath: string,
  ) {}

  async step(): Promise<string> {
    const r = this.r;
    this.conns.prune((c) => c.fe.open);
    if (!this.conns.full && (this.conns.size === 0 || r.chance(0.05))) return this.openConn();
    const conn = this.conns.pick(r);
    if (r.chance(0.02)) {
      this.conns.drop(conn);
      return 'close a connection abruptly';
    }
    if (conn.ring && conn.fe.connected && r.chance(0.7)) return this.ringInput(conn.fe);
    return this.controlInput(conn.fe);
  }

  private openConn(): string {
    const r = this.r;
    let fe: HostileFrontend;
    try {
      fe = HostileFrontend.open(this.socketPath, r.chance(0.9));
    } catch (e) {
      return `connect failed: ${(e as Error).message}`;
    }
    const ring = r.chance(0.3);
    this.conns.add({ fe, ring });
    if (!ring) return 'open a connection';
    // The request channel's fds: eventfds mostly, otherwise anything (a pipe, a full eventfd, a socket...).
    const extra: number[] = [];
    const honest = r.chance(0.6);
    const kinds = honest ? ['eventfd', 'eventfd'] : [r.pick(FD_KINDS), r.pick(FD_KINDS)];
    const fds = honest ? [native.eventfd(0), native.eventfd(0)] : kinds.map((k) => makeFd(r, k as (typeof FD_KINDS)[number], extra));
    const version = r.chance(0.9) ? r.pick([1, 2]) : hostileNumber(r);
    // The walk goes on while other inputs are sent: waiting for it would let the backend's answers set the pace.
    void fe
      .connectRing([fds[0]!, fds[1]!], version)
      .catch(() => false)
      .finally(() => extra.forEach((fd) => native.close(fd)));
    return `open a connection and walk to Connected (v${version}, request channel [${kinds.join(',')}])`;
  }

  private controlInput(fe: HostileFrontend): string {
    const r = this.r;
    if (r.chance(0.04)) {
      const data = r.chance(0.5) ? r.bytes(r.pick([0, 1, 9, 300])) : msgpack.encode(r.pick([[1], 'x', 7, null]));
      fe.sendRaw(undefined, [], data);
      return `non-map packet ${describe(data)}`;
    }
    const valid = this.template(fe);
    const msg = r.chance(0.5) ? valid : mutate(r, valid);
    const wantFds = msg.t === 'seg' ? 1 : msg.t === 'evtchn' ? 2 : 0;
    const fds = randomFds(r, r.chance(0.8) ? wantFds : r.range(0, 3));
    try {
      fe.sendRaw(msg, fds.fds);
    } finally {
      fds.close();
    }
    return `${describe(msg)}${fds.kinds.length ? ` fds=[${fds.kinds.join(',')}]` : ''}`;
  }

  /** A well-formed control message of a random type, with fields at the edges of what is allowed. */
  private template(fe: HostileFrontend): Fields {
    const r = this.r;
    const n = () => (r.chance(0.7) ? r.range(0, 16) : hostileNumber(r));
    const u32 = () => r.pick([0, 1, 2, 3, 100, 0xffff, 0x7fffffff, 0xffffffff, r.u32()]);
    const path = () => r.pick([
      `${fe.feDir}/state`, `${fe.feDir}/version`, `${fe.feDir}/0/req-ring-ref`, `${fe.feDir}/0/resolution`, `${fe.feDir}/${r.string(8)}`,
      `${fe.beDir}/state`, '/local/domain/0/x', r.string(r.pick([0, 10, 4096, 5000])),
    ]);
    const value = () => r.pick([String(r.range(0, 8)), String(XenbusState.Initialised), '', '-1', '4294967296', 'x'.repeat(r.pick([1, 4096, 5000])), r.string(6)]);
    switch (r.int(12)) {
      case 0:
        return { t: 'hello', pid: u32() };
      case 1:
        return { t: 'write', path: path(), value: value() };
      case 2: {
        // Many writes (at and past the store's entry limit) are short ones, to keep the packet a packet.
        const many = r.chance(0.2);
        const writes = Array.from({ length: many ? r.pick([4096, 4097, 10_000]) : r.pick([0, 1, 5]) }, (_, i) => (many ? [`${fe.feDir}/k${i}`, '1'] : [path(), value()]));
        return { t: 'txn', writes } as unknown as Fields;
      }
      case 3:
        return { t: 'seg', id: n(), size: r.pick([0, 4096, 8192, 4095, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER]) };
      case 4:
        return { t: 'seg-close', id: n() };
      case 5:
        return { t: 'grant', gref: u32(), seg: n(), page: u32(), count: u32() };
      case 6:
        return { t: 'ungrant', gref: u32(), count: u32() };
      case 7:
        return { t: 'evtchn', port: n() };
      case 8:
        return { t: 'evtchn-close', port: n() };
      case 9:
        return { t: 'sync', n: this.nextSync++ };
      case 10:
        return { t: r.pick(['synced', 'welcome']), n: u32(), domid: u32(), store: {} };
      default:
        return { t: r.chance(0.5) ? r.string(r.pick([1, 8, 100_000])) : (hostileValue(r) as never) };
    }
  }

  private ringInput(fe: HostileFrontend): string {
    const r = this.r;
    if (r.chance(0.03)) {
      // The words the frontend writes: req_prod, req_event and rsp_event (rsp_prod is the backend's).
      const word = r.pick([0, 1, 3]);
      const value = r.pick([0, 1, 33, 0xffffffff, 0x80000000, r.u32()]);
      fe.corruptRing(word, value);
      return `ring header word ${word} := ${value}`;
    }
    const pkt = r.chance(0.2) ? r.bytes(64) : Buffer.alloc(64);
    const view = new DataView(pkt.buffer, pkt.byteOffset, 64);
    view.setUint16(0, r.u32() & 0xffff, true);
    pkt[2] = r.chance(0.9) ? r.pick(Object.values(Op)) : r.int(256);
    // Payload words at 8..44 (cookies, sizes, grefs, offsets): edges of u32 and small values.
    for (let off = 8; off < 48; off += 4) {
      if (r.chance(0.6)) view.setUint32(off, r.pick([0, 1, 2, 32, 64, 640, 480, 4096, 0x7fffffff, 0xffffffff, r.u32()]), true);
    }
    fe.request(pkt);
    return `ring request ${Buffer.from(pkt.subarray(0, 48)).toString('hex')}`;
  }

  async probe(): Promise<void> {
    const fe = HostileFrontend.open(this.socketPath, true);
    try {
      if (!(await fe.waitBackendState(XenbusState.InitWait, 60_000))) throw new Error('backend did not welcome a new frontend');
      await fe.granter.sync();
    } finally {
      fe.close();
    }
  }

  async endBatch(): Promise<void> {
    this.conns.closeAll();
  }
}
