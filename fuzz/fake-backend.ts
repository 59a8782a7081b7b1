// The hostile backend's honest half: a listener on a runtime dir's backend.sock that a real frontend connects to,
// and per connection a session that answers the handshake as the real backend does (welcome with the toolstack's
// store, InitWait, maps the ring pages the frontend grants, binds its event channels, Connected) and answers ring
// requests. The hostile-backend surface then lies through the session's handles: its store, its channel, the
// mapped ring and event pages, the ring segment's fd.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Op, StoreField } from '../protocol/displif/constants.js';
import { parseControl, type ControlMessage } from '../protocol/bus/control.js';
import { backendDir, connectorKey, frontendDir } from '../protocol/bus/store-keys.js';
import { HOTPLUG_FEATURE, connectedKey, edidGenerationKey } from '../protocol/bus/hotplug-keys.js';
import { XenbusState } from '../protocol/bus/xenbus-state.js';
import { BackRing } from '../protocol/ring/shared-ring.js';
import { EventProducer } from '../protocol/ring/event-ring.js';
import { Listener, type Channel } from '../shared/channel.js';
import { EventChannel } from '../shared/evtchn.js';
import { Mapper } from '../shared/sharing.js';
import { Store } from '../shared/store.js';
import * as native from '../shared/native/index.js';
import { closeQuietly } from './fds.js';

const DOMID = 1;

export interface SessionOptions {
  versions: string;
  beAlloc: boolean;
  /** Status for the answer to a ring request (0 for an honest backend). */
  status: (operation: number) => number;
}

export class FakeSession extends EventEmitter<{ connected: [] }> {
  readonly store: Store;
  readonly mapper = new Mapper();
  readonly feDir = frontendDir(DOMID, 0);
  readonly beDir = backendDir(0, DOMID, 0);
  private readonly evtchns = new Map<number, EventChannel>();
  /** Dups of the fds of segments the frontend handed over (a lying backend truncates them). */
  readonly segmentFds: number[] = [];
  ring: BackRing | undefined;
  ringPage: Uint8Array | undefined;
  eventPage: Uint8Array | undefined;
  events: EventProducer | undefined;
  reqChannel: EventChannel | undefined;
  evtChannel: EventChannel | undefined;
  lastRequestId = 0;
  requests = 0;

  constructor(
    readonly ch: Channel,
    private readonly options: SessionOptions,
  ) {
    super();
    this.store = new Store(ch);
    ch.on('message', (m, fds) => this.onMessage(m, fds));
    ch.on('close', () => this.release());
    this.store.on('change', (path, value) => {
      if (path === `${this.feDir}/${StoreField.STATE}` && value === String(XenbusState.Initialised)) this.attach();
      if (path === `${this.feDir}/${StoreField.STATE}` && value === String(XenbusState.Connected)) this.emit('connected');
    });
  }

  get open(): boolean {
    return this.ch.isOpen;
  }

  private onMessage(raw: Record<string, unknown>, fds: number[]): void {
    let msg: ControlMessage;
    try {
      msg = parseControl(raw);
      if (msg.t === 'seg' && fds.length === 1) this.segmentFds.push(native.dup(fds[0]!));
      if (this.mapper.handle(msg, fds)) return;
    } catch {
      for (const fd of fds) closeQuietly(fd);
      return;
    }
    switch (msg.t) {
      case 'hello':
        this.store.load(this.toolstackNodes());
        // The frontend may already have hung up (it refuses what the surface sent before its hello).
        if (!this.ch.post({ t: 'welcome', domid: DOMID, backendDomid: 0, dev: 0, store: this.store.snapshot() })) return;
        this.store.write(`${this.beDir}/${StoreField.STATE}`, String(XenbusState.InitWait));
        return;
      case 'write':
        return this.store.applyRemote([[msg.path, msg.value]]);
      case 'txn':
        return this.store.applyRemote(msg.writes);
      case 'evtchn':
        if (fds.length === 2 && !this.evtchns.has(msg.port)) this.evtchns.set(msg.port, EventChannel.bind(msg.port, fds[0]!, fds[1]!));
        else for (const fd of fds) closeQuietly(fd);
        return;
      case 'sync':
        return void this.ch.post({ t: 'synced', n: msg.n });
      default:
        for (const fd of fds) closeQuietly(fd);
    }
  }

  private toolstackNodes(): Record<string, string> {
    return {
      [`${this.feDir}/${StoreField.STATE}`]: String(XenbusState.Initialising),
      [`${this.feDir}/${StoreField.BACKEND}`]: this.beDir,
      [`${this.feDir}/${StoreField.BACKEND_ID}`]: '0',
      [`${this.feDir}/${StoreField.BE_ALLOC}`]: this.options.beAlloc ? '1' : '0',
      [`${this.feDir}/${connectorKey(0, StoreField.RESOLUTION)}`]: '640x480',
      [`${this.feDir}/${connectorKey(0, StoreField.UNIQUE_ID)}`]: 'fuzz-0',
      [`${this.beDir}/${StoreField.STATE}`]: String(XenbusState.Initialising),
      [`${this.beDir}/${StoreField.FRONTEND}`]: this.feDir,
      [`${this.beDir}/${StoreField.FRONTEND_ID}`]: String(DOMID),
      [`${this.beDir}/${StoreField.BE_VERSIONS}`]: this.options.versions,
      [`${this.beDir}/${HOTPLUG_FEATURE}`]: '1',
      [`${this.beDir}/${connectedKey(0)}`]: '1',
      [`${this.beDir}/${edidGenerationKey(0)}`]: '0',
    };
  }

  /** The frontend published its ring: map it, bind the channels, go Connected. */
  private attach(): void {
    const key = (f: Parameters<typeof connectorKey>[1]) => Number(this.store.read(`${this.feDir}/${connectorKey(0, f)}`));
    const reqPage = this.mapper.grants.page(key(StoreField.REQ_RING_REF));
    const evtPage = this.mapper.grants.page(key(StoreField.EVT_RING_REF));
    this.reqChannel = this.evtchns.get(key(StoreField.REQ_CHANNEL));
    this.evtChannel = this.evtchns.get(key(StoreField.EVT_CHANNEL));
    if (!reqPage || !evtPage || !this.reqChannel || !this.evtChannel) return;
    this.ringPage = reqPage;
    this.eventPage = evtPage;
    this.ring = BackRing.attach(reqPage);
    this.events = EventProducer.attach(evtPage);
    this.reqChannel.listen(() => this.answer());
    this.store.write(`${this.beDir}/${StoreField.STATE}`, String(XenbusState.Connected));
  }

  /** Answers every request on the ring, with the status the options give (GET_EDID: no EDID bytes). */
  answer(): void {
    const ring = this.ring;
    if (!ring) return;
    try {
      for (let req = ring.readRequest(); req; req = ring.readRequest()) {
        this.requests++;
        const id = req[0]! | (req[1]! << 8);
        const op = req[2]!;
        this.lastRequestId = id;
        const rsp = new Uint8Array(64);
        const view = new DataView(rsp.buffer);
        view.setUint16(0, id, true);
        rsp[2] = op;
        view.setInt32(4, op === Op.GET_EDID ? 0 : this.options.status(op), true);
        ring.writeResponse(rsp);
      }
      if (ring.pushResponses()) this.kick(this.reqChannel);
    } catch {
      // a ring the surface itself corrupted
    }
  }

  kick(chan: EventChannel | undefined): void {
    try {
      chan?.notify();
    } catch {
      // the frontend may have closed its end
    }
  }

  close(): void {
    this.ch.close();
  }

  private release(): void {
    for (const c of this.evtchns.values()) c.close();
    this.evtchns.clear();
    this.mapper.clear();
    for (const fd of this.segmentFds.splice(0)) closeQuietly(fd);
    this.ring = undefined;
    this.events = undefined;
  }
}

/** The listener: each connection (a frontend's hello) becomes a session with fresh options. */
export class FakeBackend {
  private readonly listener: Listener;
  private waiters: ((s: FakeSession) => void)[] = [];
  current: FakeSession | undefined;

  constructor(runtimeDir: string, options: () => SessionOptions) {
    this.listener = new Listener(join(runtimeDir, 'backend.sock'), (ch) => {
      this.current?.close();
      const s = new FakeSession(ch, options());
      this.current = s;
      for (const w of this.waiters.splice(0)) w(s);
    });
  }

  /** The next session (a frontend that connected after this call, or the open one). */
  nextSession(timeoutMs: number): Promise<FakeSession | undefined> {
    if (this.current?.open) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiters.push((s) => (clearTimeout(t), resolve(s)));
    });
  }

  close(): void {
    this.current?.close();
    this.listener.close();
  }
}
