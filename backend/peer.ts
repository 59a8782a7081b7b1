// One frontend as the backend serves it: the mirrored store with the toolstack's nodes, the backend's side of the
// XenBus walk (InitWait → Connected, and back to InitWait when the frontend closes or restarts), the memory and
// event channels it shared, and — once connected — its Display and per-connector ring servers. The lifecycle
// faults act here: a stall stops servicing rings and control messages, a clean close walks Closing → Closed.
import { VBLANK_GRID_FEATURE, formatVblankGrid, periodNsOf, vblankGridKey } from '../protocol/bus/vblank-grid-keys.js';
import { EventEmitter } from 'node:events';
import { StoreField, type ProtocolVersion } from '../protocol/displif/constants.js';
import { parseControl, fdsOf, type ControlMessage } from '../protocol/bus/control.js';
import { FrontendStatsField, backendDir, connectorKey, formatResolution, formatVersions, frontendDir, frontendErrorNode, parseStoreUint } from '../protocol/bus/store-keys.js';
import { XenbusState, parseState, stateName } from '../protocol/bus/xenbus-state.js';
import { buildEdid, parseEdid } from '../protocol/edid.js';
import { HOTPLUG_FEATURE, connectedKey, edidGenerationKey } from '../protocol/bus/hotplug-keys.js';
import { isProtocolVersion } from '../protocol/version.js';
import type { Message } from '../shared/channel.js';
import { post, type MessageChannel } from '../shared/message-channel.js';
import { asErrno, pvError, type ErrnoLike } from '../shared/errors.js';
import { EventChannel } from '../shared/evtchn.js';
import { logger } from '../shared/log.js';
import * as native from '../shared/native/index.js';
import { Granter, Mapper } from '../shared/sharing.js';
import { BackendAllocator } from './display/be-alloc.js';
import { LIMITS, type PeerBudgets } from './limits.js';
import { Store } from '../shared/store.js';
import type { FaultPlan } from './faults/plan.js';
import { Display } from './display/display.js';
import { Pipeline, type ConnectorSpec, type ScannedFrame } from './display/pipeline.js';
import { RingServer } from './display/ring-server.js';

const log = logger('peer');

export interface BackendConfig {
  connectors: ConnectorSpec[];
  versions: ProtocolVersion[];
  beAlloc: boolean;
  paced: boolean;
  crc: boolean;
}

export interface PeerEvents {
  frame: [ScannedFrame];
  state: [frontend: number, backend: number];
  closed: [];
}

const BACKEND_DOMID = 0;
const DEV_ID = 0;

export class FrontendPeer extends EventEmitter<PeerEvents> {
  private readonly store: Store;
  private readonly mapper: Mapper;
  private readonly evtchns = new Map<number, EventChannel>();
  private readonly edids: Uint8Array[];
  /** Every connector's vblank grid is anchored here (CLOCK_MONOTONIC), published before the pipelines exist. */
  private readonly gridAnchorNs = process.hrtime.bigint();
  readonly feDir: string;
  readonly beDir: string;
  /** Where the frontend says why it gave up (xenbus_dev_fatal); logged once per frontend. */
  private readonly errorNode: string;
  private errorLogged = false;
  private display: Display | undefined;
  private rings: RingServer[] = [];
  /** Ports the connected rings use: closing one under them is EBUSY. */
  private readonly portsInUse = new Set<number>();
  version: ProtocolVersion | undefined;
  private closed = false;
  /** Control messages that arrived during a stall, handled in order on resume. */
  private held: { msg: Message; fds: number[] }[] | undefined;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ch: MessageChannel,
    readonly domid: number,
    private readonly config: BackendConfig,
    private readonly faults: FaultPlan,
    private readonly budgets: PeerBudgets,
  ) {
    super();
    this.mapper = new Mapper(true, budgets);
    this.store = new Store(ch);
    this.feDir = frontendDir(domid, DEV_ID);
    this.beDir = backendDir(BACKEND_DOMID, domid, DEV_ID);
    this.edids = config.connectors.map((c) => buildEdid({ width: c.width, height: c.height, refresh: c.refreshHz, uniqueId: c.uniqueId }));
    ch.on('message', (msg, fds) => this.onMessage(msg, fds));
    ch.on('close', (err) => this.teardown(err));
    this.errorNode = frontendErrorNode(domid, DEV_ID);
    this.store.on('change', (path, value) => {
      if (path === `${this.feDir}/${StoreField.STATE}`) this.onFrontendState(value);
      else if (path === this.errorNode) this.onFrontendError(value);
    });
  }

  /**
   * The server makes a peer of a connection at its hello and calls this once it listens to the peer's events: a
   * frontend that hung up right after its hello makes the welcome fail and 'closed' fire at once.
   */
  start(): void {
    this.greet();
  }

  /** Answers a hello: the toolstack's nodes and the welcome that names this frontend's domain. */
  private greet(): void {
    this.store.load(this.toolstackNodes());
    if (!post(this.ch, { t: 'welcome', domid: this.domid, backendDomid: BACKEND_DOMID, dev: DEV_ID, store: this.store.snapshot() })) return;
    // libxenbe opens the device and waits once the frontend is Initialising.
    this.setState(XenbusState.InitWait);
  }

  get frontendState(): number {
    return Number(this.store.read(`${this.feDir}/${StoreField.STATE}`) ?? XenbusState.Unknown);
  }

  get backendState(): number {
    return Number(this.store.read(`${this.beDir}/${StoreField.STATE}`) ?? XenbusState.Unknown);
  }

  get pipelines(): readonly Pipeline[] {
    return this.display?.pipelines ?? [];
  }

  get stalled(): boolean {
    return this.held !== undefined;
  }

  /** Frame-done events that faults dropped on connector `i`'s ring. */
  droppedEvents(i: number): number {
    return this.rings[i]?.droppedEvents ?? 0;
  }

  /** What the frontend published about connector `i` (extension keys; undefined until it does). */
  frontendStats(i: number): { frameDoneTimeouts: number | undefined; linkStatus: string | undefined } {
    const timeouts = this.store.read(this.fe(connectorKey(i, FrontendStatsField.FRAME_DONE_TIMEOUTS)));
    return {
      frameDoneTimeouts: timeouts !== undefined && /^[0-9]+$/.test(timeouts) ? Number(timeouts) : undefined,
      linkStatus: this.store.read(this.fe(connectorKey(i, FrontendStatsField.LINK_STATUS))),
    };
  }

  /** Disconnects the frontend (a close of the control channel, as when the backend exits). */
  close(): void {
    this.ch.close();
  }

  /** Removes the device the way a toolstack does: the backend goes Closing, then Closed, and lets go. */
  closeCleanly(): void {
    this.resume();
    this.disconnect();
    this.setState(XenbusState.Closing);
    this.setState(XenbusState.Closed);
    this.ch.close();
  }

  /** Stops answering: rings are not serviced, events not sent, control messages not handled; `ms` ends it. */
  stall(ms?: number): void {
    this.held ??= [];
    for (const r of this.rings) r.pause();
    clearTimeout(this.stallTimer);
    this.stallTimer = ms === undefined ? undefined : setTimeout(() => this.resume(), ms);
    log.info(`domain ${this.domid}: stalled${ms === undefined ? '' : ` for ${ms} ms`}`);
  }

  resume(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    log.info(`domain ${this.domid}: resumed`);
    for (const r of this.rings) r.resume();
    for (const { msg, fds } of held) {
      if (this.closed) for (const fd of fds) native.close(fd);
      else this.onMessage(msg, fds);
    }
  }

  private fe(key: string): string {
    return `${this.feDir}/${key}`;
  }

  private setState(state: number): void {
    if (!this.ch.isOpen) return; // the frontend is gone; teardown follows
    this.store.write(`${this.beDir}/${StoreField.STATE}`, String(state));
    log.debug(`domain ${this.domid}: backend → ${stateName(state)}`);
    this.emit('state', this.frontendState, state);
  }

  /**
   * Connector hotplug: plug or unplug connector `index`, optionally with a new EDID (whose preferred mode becomes
   * the connector's). A frontend that negotiated feature-hotplug is told through the store; one that did not
   * keeps working with what it has. A disconnected connector scans nothing out.
   */
  setConnector(index: number, connected: boolean, edid?: Uint8Array): void {
    const spec = this.config.connectors[index];
    if (!spec) throw pvError('EINVAL', `no connector ${index}`);
    const pipe = this.display?.pipelines[index];
    const writes: [string, string][] = [[`${this.beDir}/${connectedKey(index)}`, connected ? '1' : '0']];
    if (edid) {
      const mode = parseEdid(edid).preferred;
      this.edids[index] = edid;
      const next = { ...(pipe?.spec ?? spec), width: mode.width, height: mode.height, refreshHz: mode.refresh };
      pipe?.reconfigure(next);
      const gen = Number(this.store.read(`${this.beDir}/${edidGenerationKey(index)}`) ?? '0') + 1;
      writes.push([this.fe(connectorKey(index, StoreField.RESOLUTION)), formatResolution(next)], [`${this.beDir}/${edidGenerationKey(index)}`, String(gen)]);
      // The grid key first in the transaction: the frontend re-probes on the generation and must see the new period.
      if (this.config.paced) writes.unshift([`${this.beDir}/${vblankGridKey(index)}`, this.gridOf(next.refreshHz)]);
    }
    if (pipe) pipe.connected = connected;
    if (!this.ch.isOpen) return;
    if (this.store.read(this.fe(HOTPLUG_FEATURE)) === '1') this.store.transaction(writes);
    else this.store.load(Object.fromEntries(writes));
  }

  private gridOf(refreshHz: number): string {
    return formatVblankGrid({ anchorNs: this.gridAnchorNs, periodNs: periodNsOf(refreshHz) });
  }

  /** The nodes a toolstack creates before either driver runs. */
  private toolstackNodes(): Record<string, string> {
    const nodes: Record<string, string> = {
      [this.fe(StoreField.STATE)]: String(XenbusState.Initialising),
      [this.fe(StoreField.BACKEND)]: this.beDir,
      [this.fe(StoreField.BACKEND_ID)]: String(BACKEND_DOMID),
      [this.fe(StoreField.BE_ALLOC)]: this.config.beAlloc ? '1' : '0',
      [`${this.beDir}/${StoreField.STATE}`]: String(XenbusState.Initialising),
      [`${this.beDir}/${StoreField.FRONTEND}`]: this.feDir,
      [`${this.beDir}/${StoreField.FRONTEND_ID}`]: String(this.domid),
      [`${this.beDir}/${StoreField.BE_VERSIONS}`]: formatVersions(this.config.versions),
      [`${this.beDir}/${HOTPLUG_FEATURE}`]: '1',
    };
    if (this.config.paced) nodes[`${this.beDir}/${VBLANK_GRID_FEATURE}`] = '1';
    this.config.connectors.forEach((c, i) => {
      nodes[this.fe(connectorKey(i, StoreField.RESOLUTION))] = formatResolution(c);
      nodes[this.fe(connectorKey(i, StoreField.UNIQUE_ID))] = c.uniqueId;
      nodes[`${this.beDir}/${connectedKey(i)}`] = '1';
      nodes[`${this.beDir}/${edidGenerationKey(i)}`] = '0';
      if (this.config.paced) nodes[`${this.beDir}/${vblankGridKey(i)}`] = this.gridOf(c.refreshHz);
    });
    return nodes;
  }

  private onMessage(raw: Message, fds: number[]): void {
    if (this.held) {
      this.held.push({ msg: raw, fds });
      return;
    }
    let msg: ControlMessage;
    try {
      msg = parseControl(raw);
      if (fds.length !== fdsOf(msg)) throw pvError('EPROTO', `${msg.t} carries ${fds.length} fds, expected ${fdsOf(msg)}`);
    } catch (e) {
      for (const fd of fds) native.close(fd);
      return this.fail(asErrno(e));
    }
    try {
      if (this.mapper.handle(msg, fds)) return;
      switch (msg.t) {
        case 'hello':
          return this.greet();
        case 'write':
          return this.remoteWrites([[msg.path, msg.value]]);
        case 'txn':
          return this.remoteWrites(msg.writes);
        case 'evtchn':
          return this.bindChannel(msg.port, fds);
        case 'evtchn-close': {
          const chan = this.evtchns.get(msg.port);
          if (!chan) throw pvError('ENOENT', `no event channel ${msg.port}`);
          // Its fd numbers would be reused by the next open while a ring still kicks them.
          if (this.portsInUse.has(msg.port)) throw pvError('EBUSY', `event channel ${msg.port} is in use by a connected ring`);
          chan.close();
          this.evtchns.delete(msg.port);
          return;
        }
        case 'sync':
          return this.ch.send({ t: 'synced', n: msg.n });
        default:
          throw pvError('EPROTO', `unexpected ${msg.t} from a frontend`);
      }
    } catch (e) {
      const err = asErrno(e);
      if (err.code === 'EPROTO') this.fail(err);
      else this.refuse(msg, err);
    }
  }

  /** A message that could not be carried out had no effect; the frontend hears why and stays connected. */
  private refuse(msg: ControlMessage, err: ErrnoLike): void {
    log.debug(`domain ${this.domid}: refused ${msg.t}: ${err.message}`);
    if (this.ch.isOpen) this.ch.send({ t: 'refused', of: msg.t, code: err.code, errno: err.errno, message: err.message.slice(0, 256) });
  }

  /** The fds are checked to be eventfds before anything reads, writes or polls them; they are closed on refusal. */
  private bindChannel(port: number, fds: number[]): void {
    try {
      if (this.evtchns.has(port)) throw pvError('EEXIST', `event channel ${port} is bound already`);
      if (this.evtchns.size >= LIMITS.evtchnsPerPeer) throw pvError('ENOSPC', `more than ${LIMITS.evtchnsPerPeer} event channels`);
      this.evtchns.set(port, EventChannel.bind(port, fds[0]!, fds[1]!));
    } catch (e) {
      for (const fd of fds) native.close(fd);
      throw e;
    }
  }

  /** A frontend may write only below its own directory, and only so many nodes. */
  private remoteWrites(writes: [string, string][]): void {
    for (const [path] of writes) {
      if (!path.startsWith(`${this.feDir}/`) && path !== this.errorNode) throw pvError('EACCES', `frontend may not write ${path}`);
    }
    const added = new Set(writes.map(([p]) => p).filter((p) => this.store.read(p) === undefined)).size;
    if (this.store.size + added > LIMITS.storeKeysPerPeer) throw pvError('ENOSPC', `the store holds ${this.store.size} nodes, the limit is ${LIMITS.storeKeysPerPeer}`);
    this.store.applyRemote(writes);
  }

  private onFrontendError(value: string): void {
    if (this.errorLogged) return;
    this.errorLogged = true;
    log.warn(`domain ${this.domid}: frontend failed: ${value.slice(0, 256)}`);
  }

  private onFrontendState(value: string): void {
    let fe: number;
    try {
      fe = parseState(value);
    } catch (e) {
      return this.fail(asErrno(e));
    }
    const be = this.backendState;
    log.debug(`domain ${this.domid}: frontend → ${stateName(fe)} (backend ${stateName(be)})`);
    this.emit('state', fe, be);
    if ((fe === XenbusState.Initialised || fe === XenbusState.Connected) && be === XenbusState.InitWait) {
      try {
        this.connect();
      } catch (e) {
        return this.fail(asErrno(e));
      }
      return this.setState(XenbusState.Connected);
    }
    const gone = fe === XenbusState.Closing || fe === XenbusState.Closed || fe === XenbusState.Initialising;
    if (gone && (be === XenbusState.Connected || be === XenbusState.Initialised)) {
      // libxenbe: Closing → Closed → InitWait, ready for the frontend to come back.
      this.disconnect();
      this.setState(XenbusState.Closing);
      this.setState(XenbusState.Closed);
      this.setState(XenbusState.InitWait);
    }
  }

  /** Reads the frontend's keys, maps its rings and binds its channels. */
  private connect(): void {
    const chosen = this.store.read(this.fe(StoreField.FE_VERSION));
    // Linux writes no version and speaks the v2 layout; v2 is also what a v1-only backend tolerates.
    const version = chosen === undefined ? Math.max(...this.config.versions) : parseStoreUint(chosen, 'version');
    if (!isProtocolVersion(version) || !this.config.versions.includes(version)) throw pvError('EINVAL', `frontend chose version ${chosen}, offered ${formatVersions(this.config.versions)}`);
    this.version = version;
    const pipelines = this.config.connectors.map(
      (spec, i) => new Pipeline(i, spec, { paced: this.config.paced, crc: this.config.crc }, (fb) => this.rings[i]?.frameDone(fb.cookie), this.gridAnchorNs),
    );
    for (const p of pipelines) p.on('frame', (f) => this.emit('frame', f));
    const allocator = this.config.beAlloc ? new BackendAllocator(new Granter(this.ch), this.budgets.backendBuffers) : undefined;
    const display = new Display(pipelines, this.mapper.grants, (i) => this.edids[i]!, this.budgets.gatheredPages, allocator);
    this.display = display;
    this.rings = this.config.connectors.map((_, i) => {
      const key = (f: Parameters<typeof connectorKey>[1]) => {
        const v = this.store.read(this.fe(connectorKey(i, f)));
        if (v === undefined) throw pvError('EINVAL', `connector ${i}: ${f} missing`);
        return parseStoreUint(v, f);
      };
      const page = (gref: number) => {
        const p = this.mapper.grants.page(gref);
        if (!p) throw pvError('EINVAL', `connector ${i}: ring gref ${gref} not granted`);
        return p;
      };
      const chan = (port: number) => {
        const c = this.evtchns.get(port);
        if (!c) throw pvError('EINVAL', `connector ${i}: event channel ${port} not bound`);
        this.portsInUse.add(port);
        return c;
      };
      return new RingServer(
        i,
        page(key(StoreField.REQ_RING_REF)),
        page(key(StoreField.EVT_RING_REF)),
        chan(key(StoreField.REQ_CHANNEL)),
        chan(key(StoreField.EVT_CHANNEL)),
        version,
        display,
        this.faults.forRing(this.domid, i),
        (err) => this.fail(err),
      );
    });
  }

  private disconnect(): void {
    for (const r of this.rings) r.close();
    this.portsInUse.clear();
    this.display?.close();
    this.display = undefined;
    this.rings = [];
  }

  /** A misbehaving frontend is disconnected; others keep running. */
  private fail(err: ErrnoLike): void {
    log.warn(`domain ${this.domid}: disconnecting frontend: ${err.message}`);
    this.ch.close(err);
  }

  private teardown(err: ErrnoLike | undefined): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.stallTimer);
    for (const { fds } of this.held?.splice(0) ?? []) for (const fd of fds) native.close(fd);
    if (err) log.debug(`domain ${this.domid}: control channel closed: ${err.message}`);
    this.disconnect();
    for (const c of this.evtchns.values()) c.close();
    this.evtchns.clear();
    this.mapper.clear();
    this.emit('closed');
  }
}
