// The backend's control channel to a frontend on another host (no shared memory): the FrontendPeer serves it as
// one on backend.sock, and this channel stands in for the fds it would have received. A `seg` becomes a mirror
// (a memfd of this process, never the frontend's) handed to the peer; an `evtchn` becomes a local eventfd pair;
// the rings are relayed (BackRingRelay); `data` fills the mirrors, in order, before the ring packet behind it, so
// a frame's bytes are in place when its PG_FLIP is read and its frame-done can only follow. GET_EDID's buffer is
// sent back before its response. What a remote frontend makes this process hold is bounded: mirror pages (a
// budget per peer and for all), event channels, one frame's worth of queued work.
import type WebSocket from 'ws';
import type { Message } from '../../shared/channel.js';
import type { ControlMessage } from '../../protocol/bus/control.js';
import type { RemoteMessage } from '../../protocol/bus/remote.js';
import { decodeRequest } from '../../protocol/displif/request.js';
import { decodeResponse } from '../../protocol/displif/response.js';
import { pagesForSize } from '../../protocol/displif/page-directory.js';
import { Op, StoreField } from '../../protocol/displif/constants.js';
import { frontendDir } from '../../protocol/bus/store-keys.js';
import type { Budget } from '../../shared/budget.js';
import { EventChannel } from '../../shared/evtchn.js';
import { asErrno, pvError, type ErrnoLike } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import * as native from '../../shared/native/index.js';
import { PAGE, Segment } from '../../shared/shm.js';
import { MirrorTable } from '../../shared/remote/mirror-table.js';
import { RingKeys } from '../../shared/remote/ring-keys.js';
import { WsChannel } from '../../shared/remote/ws-channel.js';
import { LIMITS } from '../limits.js';
import { SEGMENTS_PER_PEER } from '../../shared/sharing.js';
import { BackRingRelay } from './ring-relay.js';

const log = logger('remote-frontend');

export interface RemoteFrontendBudgets {
  /** Pages of mirror segments. */
  mirrorPages: Budget;
}

export class RemoteFrontendChannel extends WsChannel {
  private readonly mirror: MirrorTable;
  /** Segments this side refused to mirror: data for them is dropped, as the peer refused their grants. */
  private readonly refused = new Set<number>();
  private readonly evtchns = new Map<number, EventChannel>();
  private readonly relays = new Map<number, BackRingRelay>();
  private keys: RingKeys | undefined;
  /** A GET_EDID in flight per request port: its id and buffer. */
  private readonly edid = new Map<number, { id: number; dir: number; size: number }>();

  constructor(
    ws: WebSocket,
    private readonly budgets: RemoteFrontendBudgets,
    /** Where the link comes from, for logs. */
    readonly remote: string,
  ) {
    super(ws);
    // Grants are bounded by the peer's own map, which sees the same messages.
    this.mirror = new MirrorTable();
  }

  /** From the FrontendPeer: everything passes, except fds (be-alloc), which cannot cross. */
  send(raw: Message, fds: number[] = []): void {
    if (fds.length > 0) throw pvError('EOPNOTSUPP', `${String(raw.t)} would share this process's memory with a remote frontend`);
    if (raw.t === 'welcome') {
      const msg = raw as Extract<ControlMessage, { t: 'welcome' }>;
      const feDir = frontendDir(msg.domid, msg.dev);
      this.keys = new RingKeys(feDir);
      return this.post({ ...msg, store: { ...msg.store, [`${feDir}/${StoreField.BE_ALLOC}`]: '0' } });
    }
    this.post(raw);
  }

  protected async receive(msg: RemoteMessage): Promise<void> {
    switch (msg.t) {
      case 'seg':
        return this.mirrorSegment(msg.id, msg.size);
      case 'seg-close': {
        if (this.refused.delete(msg.id)) return;
        const seg = this.mirror.remove(msg.id);
        if (seg) this.budgets.mirrorPages.give(seg.pages);
        return this.deliver(msg);
      }
      case 'grant':
      case 'ungrant':
        this.mirror.track(msg);
        return this.deliver(msg);
      case 'evtchn':
        return this.bindChannel(msg.port);
      case 'evtchn-close':
        this.evtchns.get(msg.port)?.close();
        this.evtchns.delete(msg.port);
        this.relays.delete(msg.port);
        return this.deliver(msg);
      case 'write':
        this.observe([[msg.path, msg.value]]);
        return this.deliver(msg);
      case 'txn':
        this.observe(msg.writes);
        return this.deliver(msg);
      case 'hello':
      case 'sync':
        return this.deliver(msg);
      case 'req':
        return this.request(msg.port, msg.pkt);
      case 'data': {
        if (this.refused.has(msg.seg)) return;
        const m = this.mirror.get(msg.seg);
        if (!m) throw pvError('EPROTO', `data for segment ${msg.seg}, which was never shared`);
        return this.mirror.apply(m, msg);
      }
      default:
        throw pvError('EPROTO', `unexpected ${msg.t} from a remote frontend`);
    }
  }

  private mirrorSegment(id: number, size: number): void {
    if (this.mirror.get(id) || this.refused.has(id)) throw pvError('EPROTO', `segment ${id} handed over twice`);
    let seg: Segment;
    let peerFd = -1;
    try {
      if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE !== 0) throw pvError('EINVAL', `segment ${id}: size ${size} is not a positive multiple of ${PAGE}`);
      if (this.mirror.size >= SEGMENTS_PER_PEER) throw pvError('ENOSPC', `more than ${SEGMENTS_PER_PEER} segments`);
      this.budgets.mirrorPages.take(size / PAGE);
      try {
        // The peer gets the fd; this side keeps only a mapping (no fd per mirror, as the peer's Mapper does).
        const fd = native.memfdCreate('pvdisplay-mirror', size, true);
        try {
          peerFd = native.dup(fd);
          seg = Segment.adopt(id, fd, size); // closes fd once mapped; leaves it open when it throws
        } catch (e) {
          native.close(fd);
          throw e;
        }
      } catch (e) {
        if (peerFd >= 0) native.close(peerFd);
        this.budgets.mirrorPages.give(size / PAGE);
        throw e;
      }
    } catch (e) {
      return this.refuse('seg', id, asErrno(e));
    }
    this.mirror.add(seg);
    this.deliver({ t: 'seg', id, size }, [peerFd]);
  }

  /** As the peer refuses a message: it had no effect, the frontend hears why and stays connected. */
  private refuse(of: string, id: number, err: ErrnoLike): void {
    if (of === 'seg') this.refused.add(id);
    log.debug(`${this.remote}: refused ${of} ${id}: ${err.message}`);
    this.post({ t: 'refused', of, code: err.code, errno: err.errno, message: err.message.slice(0, 256) });
  }


  private bindChannel(port: number): void {
    if (this.evtchns.has(port)) return this.refuse('evtchn', port, pvError('EEXIST', `event channel ${port} is bound already`));
    if (this.evtchns.size >= LIMITS.evtchnsPerPeer) return this.refuse('evtchn', port, pvError('ENOSPC', `more than ${LIMITS.evtchnsPerPeer} event channels`));
    // This side plays the frontend's end; the peer gets [to backend, to frontend], as over backend.sock.
    const chan = EventChannel.allocate(port);
    this.evtchns.set(port, chan);
    this.deliver({ t: 'evtchn', port }, [native.dup(chan.tx), native.dup(chan.rx)]);
  }

  /** Ring keys name mirror pages and local channels: the relay starts its end of them before the peer attaches. */
  private observe(writes: [string, string][]): void {
    if (!this.keys) return;
    for (const [index, refs] of this.keys.apply(writes)) {
      const req = this.mirror.grants.resolve(refs.reqRef);
      const evt = this.mirror.grants.resolve(refs.evtRef);
      const reqChan = this.evtchns.get(refs.reqPort);
      const evtChan = this.evtchns.get(refs.evtPort);
      if (!req || !evt || !reqChan || !evtChan || refs.reqPort === refs.evtPort) {
        log.debug(`${this.remote}: connector ${index}: ring keys name pages or channels that were not shared`);
        continue;
      }
      const relay = new BackRingRelay(
        req.seg.page(req.page),
        evt.seg.page(evt.page),
        reqChan,
        evtChan,
        (pkt) => this.response(refs.reqPort, pkt),
        (pkt) => this.post({ t: 'evt', port: refs.evtPort, pkt }),
        (err) => this.close(err),
      );
      this.relays.set(refs.reqPort, relay);
    }
  }

  private request(port: number, pkt: Uint8Array): void {
    const relay = this.relays.get(port);
    if (!relay) throw pvError('EPROTO', `a request on port ${port}, which is no ring's`);
    if (pkt[2] === Op.GET_EDID) {
      try {
        const req = decodeRequest(pkt, 2);
        if (req.kind === 'getEdid') this.edid.set(port, { id: req.id, dir: req.grefDirectory, size: req.bufferSz });
      } catch {
        // the RingServer answers what it cannot decode
      }
    }
    relay.request(pkt);
  }

  /** A response leaving; a successful GET_EDID's buffer goes first, so the frontend reads the EDID with it. */
  private response(port: number, pkt: Uint8Array): void {
    const edid = this.edid.get(port);
    if (edid) {
      this.edid.delete(port);
      try {
        const rsp = decodeResponse(pkt, 2);
        if (rsp.kind === 'getEdid' && rsp.id === edid.id && rsp.status === 0) {
          for (const run of this.mirror.pagesOf(edid.dir, pagesForSize(edid.size))) {
            const m = this.mirror.live(run);
            if (m) this.postLater(() => this.mirror.encode(m, MirrorTable.runSpans(run)));
          }
        }
      } catch (e) {
        log.debug(`${this.remote}: GET_EDID buffer not sent: ${asErrno(e).message}`);
      }
    }
    this.post({ t: 'rsp', port, pkt });
  }

  protected teardown(): void {
    this.relays.clear();
    for (const c of this.evtchns.values()) c.close();
    this.evtchns.clear();
    this.mirror.clear();
    this.budgets.mirrorPages.release();
  }
}
