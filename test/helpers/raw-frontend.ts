// A bare displif frontend for tests: walks XenBus by hand and writes raw 64-byte requests into connector 0's
// ring, so that tests can send what a well-behaved frontend never would.
import { once } from 'node:events';
import { StoreField } from '../../protocol/displif/constants.js';
import { connectorKey } from '../../protocol/bus/store-keys.js';
import { XenbusState } from '../../protocol/bus/xenbus-state.js';
import { FrontRing } from '../../protocol/ring/shared-ring.js';
import { EventConsumer } from '../../protocol/ring/event-ring.js';
import { connectChannel, type Channel } from '../../shared/channel.js';
import { EventChannel } from '../../shared/evtchn.js';
import { Granter } from '../../shared/sharing.js';
import { Segment } from '../../shared/shm.js';
import { Store } from '../../shared/store.js';

export class RawFrontend {
  private ring!: FrontRing;
  private req!: EventChannel;
  private evtPage!: Uint8Array;
  readonly granter: Granter;
  readonly store: Store;
  feDir = '';
  beDir = '';
  private kicks = 0;
  private kickWaiters: (() => void)[] = [];

  private constructor(readonly ch: Channel) {
    this.store = new Store(ch);
    this.granter = new Granter(ch);
    ch.on('message', (m) => {
      if (m.t === 'welcome') {
        this.store.load(m.store as Record<string, string>);
        this.feDir = `/local/domain/${m.domid as number}/device/vdispl/0`;
        this.beDir = this.store.read(`${this.feDir}/backend`)!;
      } else if (m.t === 'write') this.store.applyRemote([[m.path as string, m.value as string]]);
      else if (m.t === 'synced') this.granter.synced(m.n as number);
    });
  }

  static async connect(socketPath: string, version = 2): Promise<RawFrontend> {
    const fe = new RawFrontend(connectChannel(socketPath));
    fe.ch.send({ t: 'hello', pid: process.pid });
    await fe.waitBackendState(XenbusState.InitWait);
    const seg = Segment.create(fe.granter.segmentId(), 'raw-ring', 8192);
    const gref = fe.granter.share(seg);
    fe.ring = FrontRing.init(seg.page(0));
    EventConsumer.init(seg.page(1));
    fe.evtPage = seg.page(1);
    fe.req = EventChannel.allocate(1);
    const evt = EventChannel.allocate(2);
    fe.ch.send({ t: 'evtchn', port: 1 }, [fe.req.tx, fe.req.rx]);
    fe.ch.send({ t: 'evtchn', port: 2 }, [evt.tx, evt.rx]);
    fe.req.listen(() => {
      fe.kicks++;
      for (const w of fe.kickWaiters.splice(0)) w();
    });
    fe.store.transaction([
      [`${fe.feDir}/${StoreField.FE_VERSION}`, String(version)],
      [`${fe.feDir}/${connectorKey(0, StoreField.REQ_RING_REF)}`, String(gref)],
      [`${fe.feDir}/${connectorKey(0, StoreField.REQ_CHANNEL)}`, '1'],
      [`${fe.feDir}/${connectorKey(0, StoreField.EVT_RING_REF)}`, String(gref + 1)],
      [`${fe.feDir}/${connectorKey(0, StoreField.EVT_CHANNEL)}`, '2'],
    ]);
    fe.store.write(`${fe.feDir}/state`, String(XenbusState.Initialised));
    await fe.waitBackendState(XenbusState.Connected);
    return fe;
  }

  get eventPage(): Uint8Array {
    return this.evtPage;
  }

  async waitBackendState(state: number): Promise<void> {
    while (this.store.read(`${this.beDir}/state`) !== String(state)) await once(this.store, 'change');
  }

  /** Writes a raw packet into the ring and returns a copy of the response slot. */
  async request(packet: Uint8Array, timeoutMs = 3000): Promise<Uint8Array> {
    this.ring.writeRequest(packet);
    if (this.ring.pushRequests()) this.req.notify();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rsp = this.ring.readResponse();
      if (rsp) return rsp;
      if (Date.now() > deadline) throw new Error('no response');
      await new Promise<void>((resolve) => {
        this.kickWaiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.ch.close();
  }
}
