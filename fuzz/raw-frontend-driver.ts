// A hostile frontend's connection to backend.sock: the control channel with hello / welcome handled, raw packets
// sent past the channel's own size check, and — when asked — the XenBus walk to Connected with one request ring
// on connector 0 whose event channels may be fds of the wrong kind, so that raw ring requests can follow.
import { once } from 'node:events';
import msgpack from 'msgpack-lite';
import { StoreField } from '../protocol/displif/constants.js';
import { connectorKey } from '../protocol/bus/store-keys.js';
import { XenbusState } from '../protocol/bus/xenbus-state.js';
import { FrontRing } from '../protocol/ring/shared-ring.js';
import { EventConsumer } from '../protocol/ring/event-ring.js';
import { connectChannel, type Channel } from '../shared/channel.js';
import { Granter } from '../shared/sharing.js';
import { Segment } from '../shared/shm.js';
import { Store } from '../shared/store.js';
import * as native from '../shared/native/index.js';
import { closeQuietly } from './fds.js';

export class HostileFrontend {
  readonly store: Store;
  readonly granter: Granter;
  feDir = '';
  beDir = '';
  private ring: FrontRing | undefined;
  private ringSeg: Segment | undefined;
  private kickFd = -1;
  private readonly owned: number[] = [];
  responses = 0;

  constructor(readonly ch: Channel) {
    this.store = new Store(ch);
    this.granter = new Granter(ch);
    ch.on('message', (m, fds) => {
      for (const fd of fds) closeQuietly(fd);
      if (m.t === 'welcome' && m.store && typeof m.store === 'object') {
        this.store.load(m.store as Record<string, string>);
        this.feDir = `/local/domain/${m.domid as number}/device/vdispl/0`;
        this.beDir = this.store.read(`${this.feDir}/backend`) ?? '';
      } else if (m.t === 'write') this.store.applyRemote([[String(m.path), String(m.value)]]);
      else if (m.t === 'txn' && Array.isArray(m.writes)) this.store.applyRemote(m.writes as [string, string][]);
      else if (m.t === 'synced') this.granter.synced(m.n as number);
    });
    ch.on('close', () => this.release());
  }

  static open(socketPath: string, hello: boolean): HostileFrontend {
    const fe = new HostileFrontend(connectChannel(socketPath));
    if (hello) fe.ch.send({ t: 'hello', pid: process.pid });
    return fe;
  }

  get open(): boolean {
    return this.ch.isOpen;
  }

  get connected(): boolean {
    return this.ring !== undefined && this.open;
  }

  /** Sends any value, of any size, with any fds; false if the backend has closed the channel. */
  sendRaw(value: unknown, fds: number[] = [], encoded?: Uint8Array): boolean {
    if (!this.open) return false;
    try {
      native.send(this.ch.fd, encoded ?? msgpack.encode(value), fds);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves when the backend's state is `state`; false if it closed the channel or `ms` passed first. */
  async waitBackendState(state: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.open && this.store.read(`${this.beDir}/state`) !== String(state)) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), Math.min(left, 200));
      await once(this.store, 'change', { signal: ac.signal }).catch(() => undefined);
      clearTimeout(t);
    }
    return this.open;
  }

  /**
   * The walk to Connected with one ring. `evtchnFds` are the [to backend, to frontend] fds of the request channel
   * (eventfds for an honest walk, anything for a hostile one); this side owns them.
   */
  async connectRing(evtchnFds: [number, number], version: number): Promise<boolean> {
    // Owned from the start: a connection that closes while the walk waits closes them too.
    if (!this.open) evtchnFds.forEach(closeQuietly);
    else this.owned.push(...evtchnFds);
    if (!(await this.waitBackendState(XenbusState.InitWait, 5000))) return false;
    const seg = Segment.create(this.granter.segmentId(), 'fuzz-ring', 8192);
    this.ringSeg = seg;
    const gref = this.granter.share(seg);
    this.ring = FrontRing.init(seg.page(0));
    EventConsumer.init(seg.page(1));
    const evt: [number, number] = [native.eventfd(0), native.eventfd(0)];
    this.owned.push(...evt);
    this.kickFd = evtchnFds[0];
    this.ch.send({ t: 'evtchn', port: 1 }, evtchnFds);
    this.ch.send({ t: 'evtchn', port: 2 }, evt);
    const fe = (k: Parameters<typeof connectorKey>[1]) => `${this.feDir}/${connectorKey(0, k)}`;
    this.store.transaction([
      [`${this.feDir}/${StoreField.FE_VERSION}`, String(version)],
      [fe(StoreField.REQ_RING_REF), String(gref)],
      [fe(StoreField.REQ_CHANNEL), '1'],
      [fe(StoreField.EVT_RING_REF), String(gref + 1)],
      [fe(StoreField.EVT_CHANNEL), '2'],
    ]);
    this.store.write(`${this.feDir}/state`, String(XenbusState.Initialised));
    return this.waitBackendState(XenbusState.Connected, 5000);
  }

  /** Puts a raw 64-byte request on the ring (if it has room) and kicks; collects responses that came back. */
  request(packet: Uint8Array): void {
    const ring = this.ring;
    if (!ring || !this.open) return;
    try {
      for (let rsp = ring.readResponse(); rsp; rsp = ring.readResponse()) this.responses++;
    } catch {
      // our own lying req_event may confuse the accounting; the backend is what is under test
    }
    if (ring.freeRequests === 0) return;
    ring.writeRequest(packet);
    if (ring.pushRequests()) this.kick();
  }

  /** Overwrites a word of the ring header (producer / event indices) with `value`: a lying frontend. */
  corruptRing(word: number, value: number): void {
    if (!this.ringSeg || !this.open) return;
    new DataView(this.ringSeg.page(0).buffer, this.ringSeg.page(0).byteOffset, 16).setUint32(word * 4, value >>> 0, true);
    this.kick();
  }

  private kick(): void {
    try {
      native.eventfdWrite(this.kickFd, 1);
    } catch {
      // a hostile walk may have handed over something that is not an eventfd
    }
  }

  private release(): void {
    for (const fd of this.owned.splice(0)) closeQuietly(fd);
    this.ringSeg?.release();
    this.ringSeg = undefined;
    this.ring = undefined;
  }

  close(): void {
    this.ch.close();
    this.release();
  }
}
