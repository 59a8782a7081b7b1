// The frontend's control channel to a backend on another host (no shared memory): BusFront and BackendLink work
// as over backend.sock, and this channel stands in for what the fds did. It maps the segments the frontend shares
// (its own memfds) to read them, relays each connector's rings (FrontRingRelay), and sends bytes as `data`:
// a segment's content at the first sync after it was shared (page directories, imported buffers), and a
// framebuffer's changed spans right before the PG_FLIP or SET_CONFIG that shows it leaves, so the backend's mirror
// holds the frame before it is asked to scan it out. The backend may write back only into the buffer of a GET_EDID
// in flight; be-alloc is off (a remote backend's pages cannot be mapped here).
import type WebSocket from 'ws';
import type { Message } from '../../shared/channel.js';
import { parseControl, type ControlMessage } from '../../protocol/bus/control.js';
import type { RemoteMessage } from '../../protocol/bus/remote.js';
import { decodeRequest, type Request } from '../../protocol/displif/request.js';
import { pagesForSize } from '../../protocol/displif/page-directory.js';
import { StoreField } from '../../protocol/displif/constants.js';
import { frontendDir } from '../../protocol/bus/store-keys.js';
import { EventChannel } from '../../shared/evtchn.js';
import { asErrno, pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import * as native from '../../shared/native/index.js';
import { PAGE, Segment } from '../../shared/shm.js';
import { formatByFourcc } from '../../protocol/formats.js';
import type { Rect } from '../../protocol/kms/blobs.js';
import { mergeRanges, rectRanges, type ByteRange, type Dbuf, type Fb } from './damage-ranges.js';
import type { DamageHints } from '../../shared/message-channel.js';
import { MirrorTable } from '../../shared/remote/mirror-table.js';
import { RingKeys } from '../../shared/remote/ring-keys.js';
import { WsChannel } from '../../shared/remote/ws-channel.js';
import { FrontRingRelay } from './ring-relay.js';

const log = logger('remote-backend');

export class RemoteBackendChannel extends WsChannel {
  readonly mirror = new MirrorTable();
  /** Segments shared since the last sync: their content goes before it. */
  private readonly fresh = new Set<number>();
  private readonly evtchns = new Map<number, EventChannel>();
  private readonly relaysByReq = new Map<number, FrontRingRelay>();
  private readonly relaysByEvt = new Map<number, FrontRingRelay>();
  private readonly ringSegments = new Set<number>();
  private keys: RingKeys | undefined;
  private readonly dbufs = new Map<bigint, Dbuf>();
  private readonly fbs = new Map<bigint, Fb>();
  /**
   * dbufs whose changed bytes are queued already, with the region to look at (null: all of it). The bytes are
   * made when the link has room, so one entry serves every flip until then: the latest state, once.
   */
  private readonly queued = new Map<bigint, ByteRange[] | null>();
  /** FB_DAMAGE_CLIPS of flips not sent yet, merged per fb (null: a flip without them). */
  private readonly flipDamage = new Map<bigint, readonly Rect[] | null>();
  /** The fb each connector's ring showed last (damage clips describe changes since the plane's last frame). */
  private readonly shown = new Map<number, bigint>();
  readonly hints: DamageHints = { damage: (fb, rects, flip) => this.onDamage(fb, rects, flip) };
  /** Segments the backend may write: the buffer of a GET_EDID in flight, by ring. */
  private readonly edidBuffers = new Map<number, Set<number>>();

  constructor(ws: WebSocket) {
    super(ws);
  }

  send(raw: Message, fds: number[] = []): void {
    const msg = parseControl(raw);
    switch (msg.t) {
      case 'seg':
        this.adopt(msg.id, fds[0]!, msg.size);
        return this.post({ t: 'seg', id: msg.id, size: msg.size });
      case 'seg-close':
        this.fresh.delete(msg.id);
        this.mirror.remove(msg.id);
        return this.post(msg);
      case 'grant':
      case 'ungrant':
        this.mirror.track(msg);
        return this.post(msg);
      case 'evtchn':
        // [to backend, to frontend]: this side plays the backend's end, as EventChannel.bind does there.
        this.evtchns.get(msg.port)?.close();
        this.evtchns.set(msg.port, EventChannel.bind(msg.port, native.dup(fds[0]!), native.dup(fds[1]!)));
        return this.post({ t: 'evtchn', port: msg.port });
      case 'evtchn-close':
        this.evtchns.get(msg.port)?.close();
        this.evtchns.delete(msg.port);
        return this.post(msg);
      case 'write':
        this.post(msg);
        return this.observe([[msg.path, msg.value]]);
      case 'txn':
        this.post(msg);
        return this.observe(msg.writes);
      case 'sync':
        this.sendFresh();
        return this.post(msg);
      default:
        return this.post(msg);
    }
  }


  /** The frontend's own memfd, mapped here to be read (a client may truncate it: the SIGBUS guard covers it). */
  private adopt(id: number, fd: number, size: number): void {
    try {
      this.mirror.add(Segment.adopt(id, native.dup(fd), size));
      this.fresh.add(id);
    } catch (e) {
      // e.g. a client's buffer sealed against writes: its bytes cannot reach the backend.
      log.warn(`segment ${id} cannot be mirrored: ${asErrno(e).message}`);
    }
  }

  private sendFresh(): void {
    for (const id of this.fresh) {
      const m = this.mirror.get(id);
      if (!m || this.ringSegments.has(id)) continue;
      this.postLater(() => (this.mirror.get(id) === m ? this.mirror.encode(m, this.mirror.changed(m, 0, m.seg.size)) : Promise.resolve([])));
    }
    this.fresh.clear();
  }

  private observe(writes: [string, string][]): void {
    if (!this.keys) return;
    for (const [index, refs] of this.keys.apply(writes)) {
      const req = this.mirror.grants.resolve(refs.reqRef);
      const evt = this.mirror.grants.resolve(refs.evtRef);
      const reqChan = this.evtchns.get(refs.reqPort);
      const evtChan = this.evtchns.get(refs.evtPort);
      if (!req || !evt || !reqChan || !evtChan) {
        log.warn(`connector ${index}: ring keys name pages or channels that were not shared`);
        continue;
      }
      this.ringSegments.add(req.seg.id).add(evt.seg.id);
      this.relaysByReq.get(refs.reqPort)?.close();
      const relay = new FrontRingRelay(req.seg.page(req.page), evt.seg.page(evt.page), reqChan, evtChan, (pkt) => this.request(refs.reqPort, pkt), (err) => this.close(err));
      this.relaysByReq.set(refs.reqPort, relay);
      this.relaysByEvt.set(refs.evtPort, relay);
    }
  }

  /** A request leaving: what it says about buffers is noted, and a flip's buffer goes first. */
  private request(port: number, pkt: Uint8Array): void {
    let req: Request | undefined;
    try {
      req = decodeRequest(pkt, 2);
    } catch {
      req = undefined; // the backend answers what it cannot decode
    }
    switch (req?.kind) {
      case 'dbufCreate':
        try {
          const runs = this.mirror.pagesOf(req.grefDirectory, pagesForSize(req.bufferSz));
          this.dbufs.set(req.dbufCookie, { runs, pitch: Math.ceil((req.width * req.bpp) / 8), dataOfs: req.dataOfs });
        } catch (e) {
          log.debug(`dbuf ${req.dbufCookie}: pages not known here: ${asErrno(e).message}`);
        }
        break;
      case 'dbufDestroy':
        this.dbufs.delete(req.dbufCookie);
        break;
      case 'fbAttach':
        this.fbs.set(req.fbCookie, { dbuf: req.dbufCookie, width: req.width, height: req.height, cpp: formatByFourcc(req.pixelFormat)?.cpp ?? 0 });
        break;
      case 'fbDetach':
        this.fbs.delete(req.fbCookie);
        break;
      case 'setConfig':
        this.shown.set(port, req.fbCookie);
        this.flipDamage.delete(req.fbCookie);
        this.sendFramebuffer(req.fbCookie, null);
        break;
      case 'pgFlip': {
        const damage = this.flipDamage.get(req.fbCookie);
        this.flipDamage.delete(req.fbCookie);
        // Clips say what changed since the plane's last frame: the buffer's own changes only if that was this fb.
        const same = this.shown.get(port) === req.fbCookie;
        this.shown.set(port, req.fbCookie);
        this.sendFramebuffer(req.fbCookie, same && damage ? damage : null);
        break;
      }
      case 'getEdid':
        try {
          this.edidBuffers.set(port, new Set(this.mirror.pagesOf(req.grefDirectory, pagesForSize(req.bufferSz)).map((r) => r.seg.id)));
        } catch {
          this.edidBuffers.delete(port);
        }
        break;
      default:
        break;
    }
    this.post({ t: 'req', port, pkt });
  }

  private onDamage(fbCookie: bigint, rects: readonly Rect[] | null, flip: boolean): void {
    if (!this.isOpen) return;
    if (!flip) return this.sendFramebuffer(fbCookie, rects);
    const prev = this.flipDamage.get(fbCookie);
    this.flipDamage.set(fbCookie, rects === null || prev === null ? null : [...(prev ?? []), ...rects]);
  }

  /**
   * Queues the changed spans of the buffer behind `fbCookie`, looked for within `rects` (null: everywhere), made
   * when the link has room.
   */
  private sendFramebuffer(fbCookie: bigint, rects: readonly Rect[] | null): void {
    const fb = this.fbs.get(fbCookie);
    const dbuf = fb && this.dbufs.get(fb.dbuf);
    if (!fb || !dbuf) return;
    const ranges = rects && dbuf.runs.length === 1 ? rectRanges(rects, fb, dbuf, dbuf.runs[0]!.first * PAGE) : null;
    if (this.queued.has(fb.dbuf)) {
      const prev = this.queued.get(fb.dbuf)!;
      this.queued.set(fb.dbuf, prev === null || ranges === null ? null : [...prev, ...ranges]);
      return;
    }
    this.queued.set(fb.dbuf, ranges);
    this.postLater(async () => {
      const region = this.queued.get(fb.dbuf) ?? null;
      this.queued.delete(fb.dbuf);
      const out: Buffer[] = [];
      for (const run of dbuf.runs) {
        const m = this.mirror.live(run);
        if (!m) continue;
        const looked = region ?? [[run.first * PAGE, (run.first + run.count) * PAGE] as ByteRange];
        const spans = mergeRanges(looked).flatMap(([from, to]) => this.mirror.changed(m, from, Math.min(to, m.seg.size)));
        if (spans.length > 0) out.push(...(await this.mirror.encode(m, spans)));
      }
      return out;
    });
  }

  protected async receive(msg: RemoteMessage): Promise<void> {
    switch (msg.t) {
      case 'welcome': {
        this.keys = new RingKeys(frontendDir(msg.domid, msg.dev));
        // A remote backend's pages cannot be mapped here: buffers are always the frontend's.
        const store = { ...msg.store, [`${frontendDir(msg.domid, msg.dev)}/${StoreField.BE_ALLOC}`]: '0' };
        return this.deliver({ ...msg, store });
      }
      case 'write':
      case 'txn':
      case 'synced':
      case 'refused':
        return this.deliver(msg);
      case 'rsp': {
        const relay = this.relaysByReq.get(msg.port);
        if (!relay) throw pvError('EPROTO', `the backend answered on port ${msg.port}, which is no ring's`);
        this.edidBuffers.delete(msg.port);
        return relay.response(msg.pkt);
      }
      case 'evt': {
        const relay = this.relaysByEvt.get(msg.port);
        if (!relay) throw pvError('EPROTO', `the backend sent an event on port ${msg.port}, which is no ring's`);
        return relay.event(msg.pkt);
      }
      case 'data': {
        const m = this.mirror.get(msg.seg);
        const allowed = [...this.edidBuffers.values()].some((s) => s.has(msg.seg));
        if (!m || !allowed) throw pvError('EPROTO', `the backend wrote segment ${msg.seg}, which is no GET_EDID buffer in flight`);
        return this.mirror.apply(m, msg);
      }
      default:
        throw pvError('EPROTO', `unexpected ${(msg as ControlMessage).t} from a remote backend`);
    }
  }

  protected teardown(): void {
    for (const r of this.relaysByReq.values()) r.close();
    this.relaysByReq.clear();
    this.relaysByEvt.clear();
    for (const c of this.evtchns.values()) c.close();
    this.evtchns.clear();
    this.mirror.clear();
  }
}
