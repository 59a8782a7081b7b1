// A bare displif frontend for tests: walks XenBus by hand and writes raw 64-byte requests into connector 0's
// ring, so that tests can send what a well-behaved frontend never would: any control message with any fds, any
// event-channel fds, any packet. It records the backend's `refused` answers.
import { once } from 'node:events';
import { StoreField } from '../../protocol/displif/constants.js';
import { connectorKey } from '../../protocol/bus/store-keys.js';
import { XenbusState } from '../../protocol/bus/xenbus-state.js';
import { FrontRing } from '../../protocol/ring/shared-ring.js';
import { EventConsumer } from '../../protocol/ring/event-ring.js';
import { connectChannel, type Channel, type Message } from '../../shared/channel.js';
import { EventChannel } from '../../shared/evtchn.js';
import * as native from '../../shared/native/index.js';
import { Granter } from '../../shared/sharing.js';
import { Segment } from '../../shared/shm.js';
import { Store } from '../../shared/store.js';

// How long a ring answer may take before the helper says how many came: far beyond a loaded machine's worst turn
// (3 s was within reach), yet short of the test's timeout so that a lost answer fails with that count.
const ANSWER_MS = 20_000;

export interface Refused {
  of: string;
  code: string;
  errno: number;
  message: string;
}

/** The fds handed over for an event channel, [to backend, to frontend], instead of a fresh eventfd pair. */
export type ChannelFds = [number, number];

export interface AttachOptions {
  version?: number;
  /** Replaces the request channel's fds (port 1); responses are then polled for, not waited on. */
  req?: ChannelFds;
  /** Replaces the event channel's fds (port 2). */
  evt?: ChannelFds;
  /** Resolves at Connected (default); false only sends the keys and Initialised. */
  waitConnected?: boolean;
}

export class RawFrontend {
  private ring!: FrontRing;
  private req!: EventChannel;
  /** Kicks the backend's request channel (a replaced channel is kicked only if it is an eventfd). */
  private kick: () => void = () => undefined;
  private evtPage!: Uint8Array;
  readonly granter: Granter;
  readonly store: Store;
  readonly refusals: Refused[] = [];
  feDir = '';
  beDir = '';
  private kickWaiters: (() => void)[] = [];
  private closed = false;

  private constructor(readonly ch: Channel) {
    this.store = new Store(ch);
    this.granter = new Granter(ch);
    ch.on('message', (m) => {
      if (m.t === 'welcome') {
        this.store.load(m.store as Record<string, string>);
        this.feDir = `/local/domain/${m.domid as number}/device/vdispl/0`;
        this.beDir = this.store.read(`${this.feDir}/backend`)!;
      } else if (m.t === 'write') this.store.applyRemote([[m.path as string, m.value as string]]);
      else if (m.t === 'txn') this.store.applyRemote(m.writes as [string, string][]);
      else if (m.t === 'synced') this.granter.synced(m.n as number);
      else if (m.t === 'refused') this.refusals.push(m as unknown as Refused);
    });
    ch.on('close', () => (this.closed = true));
  }

  /** Says hello and waits until the backend is InitWait; no ring yet. */
  static async open(socketPath: string): Promise<RawFrontend> {
    const fe = new RawFrontend(connectChannel(socketPath));
    fe.ch.send({ t: 'hello', pid: process.pid });
    await fe.waitBackendState(XenbusState.InitWait);
    return fe;
  }

  static async connect(socketPath: string, version = 2): Promise<RawFrontend> {
    const fe = await RawFrontend.open(socketPath);
    await fe.attach({ version });
    return fe;
  }

  /** Shares connector 0's ring pages, binds its two channels and goes Initialised. */
  async attach(o: AttachOptions = {}): Promise<void> {
    const seg = Segment.create(this.granter.segmentId(), 'raw-ring', 8192);
    const gref = this.granter.share(seg);
    this.ring = FrontRing.init(seg.page(0));
    EventConsumer.init(seg.page(1));
    this.evtPage = seg.page(1);
    this.req = EventChannel.allocate(1);
    const evt = EventChannel.allocate(2);
    this.ch.send({ t: 'evtchn', port: 1 }, o.req ?? [this.req.tx, this.req.rx]);
    this.ch.send({ t: 'evtchn', port: 2 }, o.evt ?? [evt.tx, evt.rx]);
    if (o.req) {
      const [toBackend] = o.req;
      this.kick = () => {
        if (native.isEventfd(toBackend)) native.eventfdWrite(toBackend, 1);
      };
    } else {
      this.kick = () => this.req.notify();
      this.req.listen(() => {
        for (const w of this.kickWaiters.splice(0)) w();
      });
    }
    this.store.transaction([
      [`${this.feDir}/${StoreField.FE_VERSION}`, String(o.version ?? 2)],
      [`${this.feDir}/${connectorKey(0, StoreField.REQ_RING_REF)}`, String(gref)],
      [`${this.feDir}/${connectorKey(0, StoreField.REQ_CHANNEL)}`, '1'],
      [`${this.feDir}/${connectorKey(0, StoreField.EVT_RING_REF)}`, String(gref + 1)],
      [`${this.feDir}/${connectorKey(0, StoreField.EVT_CHANNEL)}`, '2'],
    ]);
    this.store.write(`${this.feDir}/state`, String(XenbusState.Initialised));
    if (o.waitConnected ?? true) await this.waitBackendState(XenbusState.Connected);
  }

  /** The domain id the backend gave this frontend. */
  get domid(): number {
    return Number(/^\/local\/domain\/([0-9]+)\//.exec(this.feDir)?.[1]);
  }

  get eventPage(): Uint8Array {
    return this.evtPage;
  }

  /** True once the backend closed the control channel (it disconnected this frontend). */
  get disconnected(): boolean {
    return this.closed;
  }

  /** Rejects if the backend closes the channel first. */
  async waitBackendState(state: number): Promise<void> {
    while (this.store.read(`${this.beDir}/state`) !== String(state)) {
      if (this.closed) throw new Error(`disconnected before backend state ${state}`);
      const ac = new AbortController();
      await Promise.race([once(this.store, 'change', { signal: ac.signal }), once(this.ch, 'close', { signal: ac.signal })]);
      ac.abort();
    }
  }

  /** Sends one control message as is, with `fds`. */
  send(msg: Message, fds: number[] = []): void {
    this.ch.send(msg, fds);
  }

  /** Resolves once the backend has handled everything sent before (refusals included). */
  sync(): Promise<void> {
    return this.granter.sync();
  }

  /** Writes a raw packet into the ring and returns a copy of the response slot. */
  async request(packet: Uint8Array, timeoutMs = ANSWER_MS): Promise<Uint8Array> {
    return (await this.requests([packet], timeoutMs))[0]!;
  }

  /**
   * Writes packets into the ring and pushes them at once, so that the backend takes them in one pass (nothing it
   * runs on a timer, such as a vblank, comes between them); returns copies of the responses in order.
   */
  async requests(packets: Uint8Array[], timeoutMs = ANSWER_MS): Promise<Uint8Array[]> {
    for (const p of packets) this.ring.writeRequest(p);
    this.ring.finalCheckForResponses(); // arms rsp_event before the backend can answer: its response kicks
    if (this.ring.pushRequests()) this.kick();
    const deadline = Date.now() + timeoutMs;
    const out: Uint8Array[] = [];
    while (out.length < packets.length) {
      const rsp = this.ring.readResponse();
      if (rsp) {
        out.push(rsp);
        continue;
      }
      if (this.ring.finalCheckForResponses()) continue; // asks for a kick at the next response
      if (Date.now() > deadline) throw new Error(`${out.length} of ${packets.length} responses`);
      await new Promise<void>((resolve) => {
        this.kickWaiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return out;
  }

  close(): void {
    this.ch.close();
  }
}
