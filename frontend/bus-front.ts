// The frontend's XenBus walk (Linux: displback_changed / initwait / connect): connect to the backend's control
// socket, read the toolstack's nodes, and when the backend waits (InitWait) allocate one request ring, one event
// page and two event channels per connector, publish them in one transaction and go Initialised; when the backend
// is Connected, read EDIDs (v2) and go Connected with a working BackendLink.
import { VBLANK_GRID_FEATURE, parseVblankGrid, vblankGridKey, type VblankGrid } from '../protocol/bus/vblank-grid-keys.js';
import { EventEmitter } from 'node:events';
import { StoreField, type ProtocolVersion } from '../protocol/displif/constants.js';
import { parseControl, fdsOf, type ControlMessage, type StoreWrite } from '../protocol/bus/control.js';
import { FrontendStatsField, connectorKey, formatVersions, frontendDir, frontendErrorNode, parseBeAlloc, parseResolution, parseVersions } from '../protocol/bus/store-keys.js';
import { HOTPLUG_FEATURE, connectedKey, parseHotplugKey } from '../protocol/bus/hotplug-keys.js';
import { XenbusState, parseState, stateName } from '../protocol/bus/xenbus-state.js';
import { chooseVersion, OFFERED_VERSIONS } from '../protocol/version.js';
import type { Message } from '../shared/channel.js';
import { post, type MessageChannel } from '../shared/message-channel.js';
import { asErrno, pvError, type ErrnoLike } from '../shared/errors.js';
import { EventChannel } from '../shared/evtchn.js';
import { logger } from '../shared/log.js';
import * as native from '../shared/native/index.js';
import { Granter, Mapper } from '../shared/sharing.js';
import { Segment } from '../shared/shm.js';
import { Store } from '../shared/store.js';
import { BackendLink } from './backend-link.js';
import type { ConnectorConfig } from './kms/backend.js';
import { RingChannel } from './ring-channel.js';

const log = logger('bus-front');

export interface BusFrontOptions {
  /** Versions this frontend speaks (default 1 and 2). */
  versions: readonly ProtocolVersion[];
  /** Deadline for each backend response (Linux: 3000 ms). */
  responseTimeoutMs: number;
}

export interface BusFrontEvents {
  connected: [link: BackendLink];
  /** Connector hotplug (feature-hotplug): its status, and whether its EDID / resolution changed. */
  hotplug: [index: number, connected: boolean, edidChanged: boolean];
  /** The backend went away or failed; the link (if any) is dead. */
  lost: [err: ErrnoLike];
}

export class BusFront extends EventEmitter<BusFrontEvents> {
  private readonly store: Store;
  private readonly granter: Granter;
  /** What the backend shares with us: be-alloc buffers, kept as fds to hand to clients. */
  readonly backendMemory = new Mapper(false);
  private feDir = '';
  private beDir = '';
  private state: number = XenbusState.Initialising;
  private readonly rings: RingChannel[] = [];
  private readonly evtchns: EventChannel[] = [];
  private readonly ringSegments: Segment[] = [];
  private link: BackendLink | undefined;
  private version: ProtocolVersion = 2;
  private ended = false;
  domid = 0;
  private dev = 0;

  /** `ch`: the control channel to the backend (backend.sock, or a remote transport). */
  constructor(
    private readonly ch: MessageChannel,
    private readonly options: BusFrontOptions,
  ) {
    super();
    this.store = new Store(this.ch);
    this.granter = new Granter(this.ch, options.responseTimeoutMs);
    this.ch.on('message', (m, fds) => this.onMessage(m, fds));
    this.ch.on('close', (err) => this.lose(err ?? pvError('ENODEV', 'backend closed the control channel')));
    this.store.on('change', (path, value) => {
      if (path === `${this.beDir}/${StoreField.STATE}`) this.onBackendState(value);
      else if (path.startsWith(`${this.beDir}/`)) this.onBackendKey(path.slice(this.beDir.length + 1));
    });
  }

  /**
   * Says hello, which starts the walk. Separate from the constructor because a backend that already hung up makes
   * the send fail and 'lost' fire at once: the owner's listeners must be in place by then, or it never retries.
   */
  start(): void {
    post(this.ch, { t: 'hello', pid: process.pid });
  }

  get frontendState(): number {
    return this.state;
  }

  get protocolVersion(): ProtocolVersion {
    return this.version;
  }

  /** Clean removal (xen_drv_remove): Closing, then drop the channel. */
  close(): void {
    if (this.ended) return;
    if (this.ch.isOpen) this.setState(XenbusState.Closing);
    this.ch.close();
  }

  private setState(state: number): void {
    this.state = state;
    // A backend that closed the channel mid-walk (e.g. with GET_EDID in flight) is told nothing: lose() follows.
    if (!this.ch.isOpen) return;
    this.store.write(`${this.feDir}/${StoreField.STATE}`, String(state));
    log.debug(`frontend → ${stateName(state)}`);
  }

  private onMessage(raw: Message, fds: number[]): void {
    let msg: ControlMessage;
    try {
      msg = parseControl(raw);
      // Only segments (be-alloc buffers) come with an fd from a backend; event channels are ours to make.
      if (fds.length !== fdsOf(msg) || msg.t === 'evtchn') throw pvError('EPROTO', `unexpected ${msg.t} with ${fds.length} fds from the backend`);
    } catch (e) {
      for (const fd of fds) native.close(fd);
      return this.ch.close(asErrno(e));
    }
    try {
      if (!this.backendMemory.handle(msg, fds)) this.handle(msg);
    } catch (e) {
      this.ch.close(asErrno(e));
    }
  }

  private handle(msg: ControlMessage): void {
    switch (msg.t) {
      case 'welcome': {
        this.domid = msg.domid;
        this.dev = msg.dev;
        this.store.load(msg.store);
        this.feDir = frontendDir(msg.domid, msg.dev);
        const be = msg.store[`${this.feDir}/${StoreField.BACKEND}`];
        if (!be) throw pvError('EPROTO', 'the store names no backend directory');
        this.beDir = be;
        this.setState(XenbusState.Initialising);
        const beState = this.store.read(`${this.beDir}/${StoreField.STATE}`);
        if (beState) this.onBackendState(beState);
        return;
      }
      case 'write':
        return this.store.applyRemote([[msg.path, msg.value]]);
      case 'txn':
        return this.store.applyRemote(msg.writes);
      case 'synced':
        return this.granter.synced(msg.n);
      case 'refused': // the backend did not carry out one message; the ring request that needed it fails too
        return log.warn(`backend refused ${msg.of}: ${msg.message}`);
      default:
        throw pvError('EPROTO', `unexpected ${msg.t} from the backend`);
    }
  }

  private onBackendState(value: string): void {
    let be: number;
    try {
      be = parseState(value);
    } catch (e) {
      return this.ch.close(asErrno(e));
    }
    log.debug(`backend → ${stateName(be)} (frontend ${stateName(this.state)})`);
    if (be === XenbusState.InitWait && this.state === XenbusState.Initialising) {
      try {
        this.initwait();
      } catch (e) {
        return this.fatal(asErrno(e));
      }
      this.setState(XenbusState.Initialised);
    } else if (be === XenbusState.Connected && this.state === XenbusState.Initialised) {
      this.connect().catch((e: unknown) => this.fatal(asErrno(e)));
    } else if (be === XenbusState.Closing || be === XenbusState.Closed || be === XenbusState.Unknown) {
      if (this.state === XenbusState.Connected) this.ch.close(pvError('ENODEV', `backend went ${stateName(be)}`));
    }
  }

  /** Linux xenbus_dev_fatal: the reason goes to the error node, the frontend to Closing, and the device is given up. */
  private fatal(err: ErrnoLike): void {
    if (this.ch.isOpen) {
      const text = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
      this.store.write(frontendErrorNode(this.domid, this.dev), `${err.errno} ${text}`);
    }
    this.setState(XenbusState.Closing);
    this.ch.close(err);
  }

  /** Connector hotplug keys, acted on once connected and only when both sides offered the feature. */
  private onBackendKey(relative: string): void {
    const k = parseHotplugKey(relative);
    if (!k || this.state !== XenbusState.Connected || !this.hotplugNegotiated) return;
    const connected = this.store.read(`${this.beDir}/${connectedKey(k.index)}`) !== '0';
    this.emit('hotplug', k.index, connected, k.key === 'edid-generation');
  }

  get hotplugNegotiated(): boolean {
    return this.store.read(`${this.beDir}/${HOTPLUG_FEATURE}`) === '1';
  }

  /** Tells the backend (its status and viewer show them) a connector's frame-done timeouts and link-status. */
  publishStats(index: number, frameDoneTimeouts: number, linkBad: boolean): void {
    if (!this.ch.isOpen) return;
    this.store.transaction([
      [this.fe(connectorKey(index, FrontendStatsField.FRAME_DONE_TIMEOUTS)), String(frameDoneTimeouts)],
      [this.fe(connectorKey(index, FrontendStatsField.LINK_STATUS)), linkBad ? 'Bad' : 'Good'],
    ]);
  }

  /** A connector's current configuration as the store and (v2) GET_EDID describe it. */
  async connectorConfig(link: BackendLink, index: number): Promise<ConnectorConfig> {
    const { width, height } = parseResolution(this.store.read(this.fe(connectorKey(index, StoreField.RESOLUTION))) ?? '0x0');
    const edid = this.version >= 2 ? await link.getEdid(index) : undefined;
    return { index, width, height, uniqueId: this.store.read(this.fe(connectorKey(index, StoreField.UNIQUE_ID))) ?? '', edid, vblankGrid: this.vblankGrid(index) };
  }

  /** The backend's vblank grid for a connector, when it publishes one (a malformed value is no grid). */
  private vblankGrid(index: number): VblankGrid | undefined {
    if (this.store.read(`${this.beDir}/${VBLANK_GRID_FEATURE}`) !== '1') return undefined;
    return parseVblankGrid(this.store.read(`${this.beDir}/${vblankGridKey(index)}`));
  }

  private fe(key: string): string {
    return `${this.feDir}/${key}`;
  }

  /** The connectors the toolstack configured: 0/resolution, 1/resolution, … up to the first missing one. */
  private readConnectors(): ConnectorConfig[] {
    const out: ConnectorConfig[] = [];
    for (let i = 0; i < 256; i++) {
      const res = this.store.read(this.fe(connectorKey(i, StoreField.RESOLUTION)));
      if (res === undefined) break;
      const { width, height } = parseResolution(res);
      if (width === 0 || height === 0) throw pvError('EINVAL', `connector ${i}: empty resolution ${res}`);
      out.push({ index: i, width, height, uniqueId: this.store.read(this.fe(connectorKey(i, StoreField.UNIQUE_ID))) ?? '', edid: undefined, vblankGrid: this.vblankGrid(i) });
    }
    if (out.length === 0) throw pvError('ENODEV', 'no connectors configured');
    return out;
  }

  private initwait(): void {
    const connectors = this.readConnectors();
    const offered = this.store.read(`${this.beDir}/${StoreField.BE_VERSIONS}`);
    // A backend that publishes no list is assumed to speak v2, as Linux assumes.
    const mine = this.options.versions.length ? this.options.versions : OFFERED_VERSIONS;
    const chosen = offered === undefined ? 2 : chooseVersion(parseVersions(offered), mine);
    if (chosen === undefined) throw pvError('EPROTONOSUPPORT', `no common protocol version: the backend offers ${offered}, this frontend speaks ${formatVersions(mine)}`);
    this.version = chosen;
    const writes: StoreWrite[] = [
      [this.fe(StoreField.FE_VERSION), String(chosen)],
      [this.fe(HOTPLUG_FEATURE), '1'],
    ];
    const link = new BackendLink(chosen, this.granter, this.rings, parseBeAlloc(this.store.read(this.fe(StoreField.BE_ALLOC))) ? this.backendMemory : undefined, this.ch.hints);
    link.connectors = connectors;
    for (const c of connectors) {
      const seg = Segment.createFixed(this.granter.segmentId(), `pvdisplay-ring-${c.index}`, 2 * 4096);
      this.ringSegments.push(seg);
      const gref = this.granter.share(seg);
      const reqPort = 2 * c.index + 1;
      const evtPort = 2 * c.index + 2;
      const req = EventChannel.allocate(reqPort);
      const evt = EventChannel.allocate(evtPort);
      this.evtchns.push(req, evt);
      // Handed over as [to backend, to frontend]; this side waits on rx (to frontend) and kicks tx (to backend).
      this.ch.send({ t: 'evtchn', port: reqPort }, [req.tx, req.rx]);
      this.ch.send({ t: 'evtchn', port: evtPort }, [evt.tx, evt.rx]);
      this.rings.push(new RingChannel(c.index, seg.page(0), seg.page(1), req, evt, chosen, this.options.responseTimeoutMs, (fb) => link.frameDone(c.index, fb), (err) => this.ch.close(err)));
      writes.push(
        [this.fe(connectorKey(c.index, StoreField.REQ_RING_REF)), String(gref)],
        [this.fe(connectorKey(c.index, StoreField.REQ_CHANNEL)), String(reqPort)],
        [this.fe(connectorKey(c.index, StoreField.EVT_RING_REF)), String(gref + 1)],
        [this.fe(connectorKey(c.index, StoreField.EVT_CHANNEL)), String(evtPort)],
      );
    }
    this.store.transaction(writes);
    this.link = link;
  }

  private async connect(): Promise<void> {
    const link = this.link!;
    if (this.version >= 2) {
      for (const c of link.connectors) c.edid = await link.getEdid(c.index);
    }
    if (this.hotplugNegotiated) {
      for (const c of link.connectors) c.connected = this.store.read(`${this.beDir}/${connectedKey(c.index)}`) !== '0';
    }
    this.setState(XenbusState.Connected);
    this.emit('connected', link);
  }

  private lose(err: ErrnoLike): void {
    if (this.ended) return;
    this.ended = true;
    for (const r of this.rings) r.shutdown(pvError('EIO', 'backend gone'));
    for (const e of this.evtchns) e.close();
    for (const s of this.ringSegments) s.release();
    this.backendMemory.clear();
    this.granter.fail(err);
    this.emit('lost', err);
  }
}
