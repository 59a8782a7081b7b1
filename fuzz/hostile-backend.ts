// Attack surface 3, a hostile backend: a real frontend process connects to the fuzzer's fake backend, which walks
// it to Connected (or lies during the walk) and then sends store writes (states, hotplug keys, resolutions, junk),
// mutated control messages (segments of any fd kind and size, grants, unsolicited syncs and welcomes), unsolicited
// and bogus ring responses, events with wrong ids and types, lying ring indices, a truncated ring memfd, and odd
// statuses for the requests a client on the frontend's device makes it send. Each round ends by closing the
// session (a backend restart); the frontend must come back.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import msgpack from 'msgpack-lite';
import { EVT_PG_FLIP } from '../protocol/displif/constants.js';
import { connectorKey } from '../protocol/bus/store-keys.js';
import { connectedKey, edidGenerationKey } from '../protocol/bus/hotplug-keys.js';
import { ringSlotOffset } from '../protocol/ring/shared-ring.js';
import { Card } from '../frontend/client/card.js';
import * as native from '../shared/native/index.js';
import type { Prng } from './prng.js';
import { describe, hostileNumber, mutate, type Fields } from './values.js';
import { randomFds } from './fds.js';
import { FakeBackend, type FakeSession } from './fake-backend.js';
import type { Surface } from './surface.js';

/** Inputs per session before the fake backend restarts. */
const ROUND = 100;
const STATUSES = [0, -1, -5, -12, -22, -110, 1, 0x7fffffff, -0x80000000, -4096];

export class HostileBackendSurface implements Surface {
  readonly name = 'hostile-backend';
  readonly targets = ['frontend-b'];
  readonly backend: FakeBackend;
  private session: FakeSession | undefined;
  private inRound = 0;
  private cards: Card[] = [];
  /** During the current round the fake answers ring requests with odd statuses. */
  private lying = false;

  constructor(
    private readonly r: Prng,
    private readonly runtimeDir: string,
  ) {
    this.backend = new FakeBackend(runtimeDir, () => ({
      versions: this.r.pick(['1,2', '1', '2', '2,1']),
      beAlloc: this.r.chance(0.2),
      status: () => (this.lying && this.r.chance(0.5) ? this.r.pick(STATUSES) : 0),
    }));
  }

  async step(): Promise<string> {
    if (!this.session?.open || this.inRound >= ROUND) {
      this.endRound();
      this.session = await this.backend.nextSession(20_000);
      if (!this.session) return 'frontend did not reconnect';
      this.lying = this.r.chance(0.3);
      if (!this.r.chance(0.15)) {
        // Mostly an honest walk first, so that the lies reach a connected frontend.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 5000);
          this.session!.once('connected', () => (clearTimeout(t), resolve()));
        });
      }
    }
    this.inRound++;
    return this.input(this.session);
  }

  private input(s: FakeSession): string {
    const r = this.r;
    const k = r.int(100);
    if (k < 30) return this.storeWrite(s);
    if (k < 52) return this.control(s);
    if (k < 64) return this.response(s);
    if (k < 78) return this.event(s);
    if (k < 82) return this.lyingIndex(s);
    if (k < 84) {
      const fd = r.pick(s.segmentFds.length ? s.segmentFds : [-1]);
      if (fd < 0) return 'truncate: no segment yet';
      const size = r.pick([0, 4096]);
      native.truncate(fd, size);
      return `truncate a segment the frontend shared to ${size}`;
    }
    return this.clientActivity();
  }

  private storeWrite(s: FakeSession): string {
    const r = this.r;
    const path = r.pick([
      `${s.beDir}/state`, `${s.beDir}/${connectedKey(0)}`, `${s.beDir}/${edidGenerationKey(0)}`, `${s.beDir}/${connectedKey(r.range(1, 300))}`,
      `${s.feDir}/${connectorKey(0, 'resolution')}`, `${s.beDir}/versions`, `${s.feDir}/state`, `${s.beDir}/${r.string(6)}`, r.string(r.pick([1, 100, 4096])),
    ]);
    const value = r.pick([String(r.range(0, 8)), '0', '1', '', '-1', '4294967296', '99999x99999', '0x0', '640x480', '1x1', r.string(r.pick([3, 4096]))]);
    if (r.chance(0.2)) s.store.transaction([[path, value], [`${s.beDir}/${edidGenerationKey(0)}`, String(r.range(0, 1000))]]);
    else s.store.write(path, value);
    return `store write ${describe(path)} = ${describe(value)}`;
  }

  private control(s: FakeSession): string {
    const r = this.r;
    if (r.chance(0.05)) {
      const data = r.bytes(r.pick([0, 1, 20]));
      this.sendRaw(s, data, []);
      return `non-map packet ${describe(data)}`;
    }
    const u32 = () => r.pick([0, 1, 2, 0xffff, 0x7fffffff, 0xffffffff, r.u32()]);
    const valid: Fields = r.pick<() => Fields>([
      () => ({ t: 'seg', id: r.range(0, 20), size: r.pick([4096, 8192, 0, 4095, 2 ** 40]) }),
      () => ({ t: 'seg-close', id: r.range(0, 20) }),
      () => ({ t: 'grant', gref: u32(), seg: r.range(0, 20), page: u32(), count: u32() }),
      () => ({ t: 'ungrant', gref: u32(), count: u32() }),
      () => ({ t: 'synced', n: u32() }),
      () => ({ t: 'sync', n: u32() }),
      () => ({ t: 'welcome', domid: u32(), backendDomid: 0, dev: 0, store: {} }),
      () => ({ t: 'evtchn', port: r.range(0, 4) }),
      () => ({ t: 'txn', writes: [[`${s.beDir}/state`, String(r.range(0, 8))]] }) as unknown as Fields,
      () => ({ t: r.string(r.pick([1, 30, 5000])) }),
    ])();
    const msg = r.chance(0.5) ? valid : mutate(r, valid);
    const fds = randomFds(r, msg.t === 'seg' && r.chance(0.8) ? 1 : r.pick([0, 0, 1, 2]));
    try {
      this.sendRaw(s, msgpack.encode(msg), fds.fds);
    } finally {
      fds.close();
    }
    return `control ${describe(msg)}${fds.kinds.length ? ` fds=[${fds.kinds.join(',')}]` : ''}`;
  }

  private sendRaw(s: FakeSession, data: Uint8Array, fds: number[]): void {
    try {
      native.send(s.ch.fd, data, fds);
    } catch {
      // the frontend dropped us: the round ends
    }
  }

  /** An unsolicited or bogus response written straight into the ring, rsp_prod bumped, the frontend kicked. */
  private response(s: FakeSession): string {
    const r = this.r;
    if (!s.ringPage) return 'response: no ring yet';
    const view = new DataView(s.ringPage.buffer, s.ringPage.byteOffset, 4096);
    const prod = view.getUint32(8, true);
    const pkt = r.chance(0.3) ? r.bytes(64) : Buffer.alloc(64);
    const pv = new DataView(pkt.buffer, pkt.byteOffset, 64);
    pv.setUint16(0, (s.lastRequestId + r.range(-1, 2)) & 0xffff, true);
    pkt[2] = r.chance(0.8) ? r.range(0x10, 0x16) : r.int(256);
    pv.setInt32(4, r.pick(STATUSES), true);
    pv.setUint32(8, r.pick([0, 128, 256, 32768, 0xffffffff]), true);
    s.ringPage.set(pkt, ringSlotOffset(prod));
    view.setUint32(8, prod + 1, true);
    s.kick(s.reqChannel);
    return `response ${Buffer.from(pkt.subarray(0, 12)).toString('hex')} at rsp_prod ${prod}`;
  }

  private event(s: FakeSession): string {
    const r = this.r;
    if (!s.events) return 'event: no event page yet';
    const pkt = r.chance(0.3) ? r.bytes(64) : Buffer.alloc(64);
    const pv = new DataView(pkt.buffer, pkt.byteOffset, 64);
    pv.setUint16(0, r.pick([0, 1, 2, r.int(0x10000)]), true);
    pkt[2] = r.chance(0.8) ? EVT_PG_FLIP : r.int(256);
    pv.setBigUint64(8, BigInt(r.u32()) * BigInt(r.range(0, 2)), true);
    const sent = s.events.send(pkt);
    s.kick(s.evtChannel);
    return `event ${Buffer.from(pkt.subarray(0, 16)).toString('hex')}${sent ? '' : ' (event ring full)'}`;
  }

  /** rsp_prod / rsp_event of the request ring, or in_prod of the event page, set to a lie. */
  private lyingIndex(s: FakeSession): string {
    const r = this.r;
    if (!s.ringPage) return 'index: no ring yet';
    const value = r.pick([0, 1, 33, 64, 0x7fffffff, 0xffffffff, r.u32()]);
    const where = r.pick(['rsp_prod', 'rsp_event', 'in_prod'] as const);
    if (where === 'in_prod' && s.eventPage) {
      // The event page starts with in_cons, in_prod (protocol/ring/event-ring.ts).
      new DataView(s.eventPage.buffer, s.eventPage.byteOffset, 16).setUint32(4, value, true);
      s.kick(s.evtChannel);
    } else {
      new DataView(s.ringPage.buffer, s.ringPage.byteOffset, 16).setUint32(where === 'rsp_prod' ? 8 : 12, value, true);
      s.kick(s.reqChannel);
    }
    return `${where} := ${value}`;
  }

  /** A client on the frontend's device makes it send ring requests (which the fake may answer with lies). */
  private clientActivity(): string {
    const r = this.r;
    const dri = join(this.runtimeDir, 'dri');
    let cards: string[];
    try {
      cards = readdirSync(dri).filter((n) => n.startsWith('card'));
    } catch {
      return 'client: no dri dir';
    }
    if (cards.length === 0) return 'client: no card';
    const name = cards.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).at(-1)!;
    let card: Card;
    try {
      card = Card.open(join(dri, name));
    } catch (e) {
      return `client: open ${name} failed: ${(e as Error).message}`;
    }
    this.cards.push(card);
    const w = r.pick([64, 640, hostileNumber(r)]);
    void card.createDumb(w, 64, 32).then((d) => card.addFb2(w, 64, 0x34325258, d.handle, d.pitch)).catch(() => undefined);
    return `client on ${name}: CREATE_DUMB ${w}x64 + ADDFB2`;
  }

  private endRound(): void {
    for (const c of this.cards.splice(0)) c.close();
    this.session?.close();
    this.session = undefined;
    this.inRound = 0;
  }

  async probe(): Promise<void> {
    this.endRound();
    const s = await this.backend.nextSession(60_000);
    if (!s) throw new Error('the frontend did not reconnect to a restarted backend');
    this.session = s;
  }

  async endBatch(): Promise<void> {
    this.endRound();
  }
}
