// A scripted displif backend for tests: it serves backend.sock in a runtime dir, walks XenBus with a real frontend
// process (InitWait → Connected) and answers ring requests through a script, so that tests can act as a backend
// never would: truncate the frontend's memfds, close the channel mid-request, answer with any status or id, write
// any ring index. It keeps a duplicate of every fd the frontend hands over (by segment id) for that purpose.
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import { EVT_PG_FLIP, Op, StoreField } from '../../protocol/displif/constants.js';
import { encodeEvent } from '../../protocol/displif/event.js';
import { decodeRequest, type Request } from '../../protocol/displif/request.js';
import { encodeResponse, type Response } from '../../protocol/displif/response.js';
import { pagesForSize, readPageDirectory } from '../../protocol/displif/page-directory.js';
import { buildEdid } from '../../protocol/edid.js';
import { BackRing } from '../../protocol/ring/shared-ring.js';
import { EventProducer } from '../../protocol/ring/event-ring.js';
import { backendDir, connectorKey, frontendDir, parseStoreUint } from '../../protocol/bus/store-keys.js';
import { XenbusState } from '../../protocol/bus/xenbus-state.js';
import { Listener, type Channel } from '../../shared/channel.js';
import { EventChannel } from '../../shared/evtchn.js';
import * as native from '../../shared/native/index.js';
import { Mapper } from '../../shared/sharing.js';
import { Store } from '../../shared/store.js';

const WIDTH = 640;
const HEIGHT = 480;

/** What the script returns for a request: a response to write, or 'none' to leave it unanswered. */
export type Answer = Response | 'none';

/** One connected frontend as the hostile backend sees it. */
export class HostilePeer extends EventEmitter<{ connected: []; request: [Request]; closed: [] }> {
  readonly store: Store;
  readonly mapper = new Mapper();
  /** Duplicates of the fds of the segments the frontend handed over, by segment id, in order of arrival. */
  readonly segmentFds = new Map<number, number>();
  private readonly evtchns = new Map<number, EventChannel>();
  ring: BackRing | undefined;
  events: EventProducer | undefined;
  private reqChannel: EventChannel | undefined;
  private evtChannel: EventChannel | undefined;
  readonly feDir = frontendDir(1, 0);
  readonly beDir = backendDir(0, 1, 0);
  private nextEventId = 0;
  open = true;

  constructor(
    readonly ch: Channel,
    private readonly script: (req: Request, peer: HostilePeer) => Answer,
  ) {
    super();
    this.store = new Store(ch);
    ch.on('message', (m, fds) => this.onMessage(m, fds));
    ch.on('close', () => this.teardown());
    this.store.on('change', (path, value) => {
      if (path === `${this.feDir}/${StoreField.STATE}` && value === String(XenbusState.Initialised)) this.connect();
    });
  }

  private onMessage(m: Record<string, unknown>, fds: number[]): void {
    switch (m.t) {
      case 'hello':
        this.store.load({
          [`${this.feDir}/${StoreField.STATE}`]: String(XenbusState.Initialising),
          [`${this.feDir}/${StoreField.BACKEND}`]: this.beDir,
          [`${this.feDir}/${StoreField.BACKEND_ID}`]: '0',
          [`${this.feDir}/${StoreField.BE_ALLOC}`]: '0',
          [`${this.feDir}/${connectorKey(0, StoreField.RESOLUTION)}`]: `${WIDTH}x${HEIGHT}`,
          [`${this.feDir}/${connectorKey(0, StoreField.UNIQUE_ID)}`]: 'hostile-0',
          [`${this.beDir}/${StoreField.STATE}`]: String(XenbusState.Initialising),
          [`${this.beDir}/${StoreField.FRONTEND}`]: this.feDir,
          [`${this.beDir}/${StoreField.FRONTEND_ID}`]: '1',
          [`${this.beDir}/${StoreField.BE_VERSIONS}`]: '1,2',
        });
        this.ch.send({ t: 'welcome', domid: 1, backendDomid: 0, dev: 0, store: this.store.snapshot() });
        return this.store.write(`${this.beDir}/${StoreField.STATE}`, String(XenbusState.InitWait));
      case 'write':
        return this.store.applyRemote([[m.path as string, m.value as string]]);
      case 'txn':
        return this.store.applyRemote(m.writes as [string, string][]);
      case 'sync':
        return this.ch.send({ t: 'synced', n: m.n as number });
      case 'evtchn':
        this.evtchns.set(m.port as number, EventChannel.bind(m.port as number, fds[0]!, fds[1]!));
        return;
      case 'seg':
        this.segmentFds.set(m.id as number, native.dup(fds[0]!));
        break;
    }
    this.mapper.handle(m as Parameters<Mapper['handle']>[0], fds);
  }

  private key(field: Parameters<typeof connectorKey>[1]): number {
    return parseStoreUint(this.store.read(`${this.feDir}/${connectorKey(0, field)}`)!);
  }

  private connect(): void {
    this.ring = BackRing.attach(this.mapper.grants.page(this.key(StoreField.REQ_RING_REF))!);
    this.events = EventProducer.attach(this.mapper.grants.page(this.key(StoreField.EVT_RING_REF))!);
    this.reqChannel = this.evtchns.get(this.key(StoreField.REQ_CHANNEL));
    this.evtChannel = this.evtchns.get(this.key(StoreField.EVT_CHANNEL));
    this.reqChannel!.listen(() => this.service());
    this.store.write(`${this.beDir}/${StoreField.STATE}`, String(XenbusState.Connected));
    this.emit('connected');
  }

  private service(): void {
    if (!this.open) return;
    do {
      for (let pkt = this.ring!.readRequest(); pkt; pkt = this.ring!.readRequest()) {
        const req = decodeRequest(pkt, 2);
        this.emit('request', req);
        const answer = this.script(req, this);
        if (!this.open) return;
        if (answer !== 'none') this.respond(answer);
      }
    } while (this.ring!.finalCheckForRequests());
  }

  /** Writes a response into the next slot and kicks the frontend. */
  respond(rsp: Response): void {
    this.ring!.writeResponse(encodeResponse(rsp, 2));
    this.ring!.pushResponses();
    this.kickRing();
  }

  /** Sends a frame-done event (its id the next in sequence unless given) and kicks the frontend. */
  frameDone(fbCookie: bigint, id = this.nextEventId): void {
    this.nextEventId = (id + 1) & 0xffff;
    this.events!.send(encodeEvent({ kind: 'pgFlip', id, type: EVT_PG_FLIP, fbCookie }, 2));
    this.evtChannel!.notify();
  }

  /** The request ring's shared page (to write lying indices into). */
  get ringPage(): Uint8Array {
    return this.mapper.grants.page(this.key(StoreField.REQ_RING_REF))!;
  }

  /** The event page (to write a lying in_prod into); kickEvents() makes the frontend look at it. */
  get eventPage(): Uint8Array {
    return this.mapper.grants.page(this.key(StoreField.EVT_RING_REF))!;
  }

  /** Kicks the frontend to look at the response ring. */
  kickRing(): void {
    this.reqChannel!.notify();
  }

  kickEvents(): void {
    this.evtChannel!.notify();
  }

  /** Resolves once the frontend has consumed every event sent (its in_cons caught up). */
  async eventsConsumed(): Promise<void> {
    while (this.events!.pending > 0) await new Promise((r) => setTimeout(r, 5));
  }

  /** The segment holding the request and event rings. */
  get ringSegmentFd(): number {
    return this.segmentFds.get(this.mapper.grants.resolve(this.key(StoreField.REQ_RING_REF))!.seg.id)!;
  }

  /** The fd of the segment whose first page a GET_EDID or DBUF_CREATE directory names. */
  bufferFdOf(grefDirectory: number, bufferSz: number): number {
    const grefs = readPageDirectory((g) => this.mapper.grants.page(g), grefDirectory, pagesForSize(bufferSz));
    return this.segmentFds.get(this.mapper.grants.resolve(grefs[0]!)!.seg.id)!;
  }

  /** Writes a valid EDID into a GET_EDID buffer and returns the response a backend would give. */
  edidAnswer(req: Request & { kind: 'getEdid' }): Response {
    const edid = buildEdid({ width: WIDTH, height: HEIGHT, uniqueId: 'hostile-0' });
    const grefs = readPageDirectory((g) => this.mapper.grants.page(g), req.grefDirectory, pagesForSize(req.bufferSz));
    this.mapper.grants.page(grefs[0]!)!.set(edid);
    return { kind: 'getEdid', id: req.id, operation: Op.GET_EDID, status: 0, edidSz: edid.length };
  }

  close(): void {
    this.ch.close();
  }

  private teardown(): void {
    if (!this.open) return;
    this.open = false;
    for (const c of this.evtchns.values()) c.close();
    for (const fd of this.segmentFds.values()) native.close(fd);
    this.segmentFds.clear();
    this.mapper.clear();
    this.emit('closed');
  }
}

/** An honest answer for every request: status 0, and a real EDID for GET_EDID. */
export function honest(req: Request, peer: HostilePeer): Answer {
  if (req.kind === 'getEdid') return peer.edidAnswer(req);
  return { kind: 'generic', id: req.id, operation: req.operation, status: 0 };
}

export class HostileBackend extends EventEmitter<{ peer: [HostilePeer] }> {
  private readonly listener: Listener;
  readonly peers: HostilePeer[] = [];
  /** Replace to change how later requests are answered. */
  script: (req: Request, peer: HostilePeer) => Answer = honest;

  constructor(runtimeDir: string) {
    super();
    this.listener = new Listener(join(runtimeDir, 'backend.sock'), (ch) => {
      const peer = new HostilePeer(ch, (req, p) => this.script(req, p));
      this.peers.push(peer);
      this.emit('peer', peer);
    });
  }

  /** Resolves with the next frontend that connects. */
  async nextPeer(): Promise<HostilePeer> {
    const [peer] = await once(this, 'peer');
    return peer as HostilePeer;
  }

  close(): void {
    for (const p of this.peers) p.close();
    this.listener.close();
  }
}
