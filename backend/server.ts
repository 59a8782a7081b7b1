// The backend process's core: listens on backend.sock for frontends, gives each (at its hello) a domain id and a
// FrontendPeer, owns the fault plan their rings consult, and answers what the admin API and the CLI ask about them
// (status, snapshots, which peer and pipeline a request means).
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { chmodSync } from 'node:fs';
import { Listener, type Message } from '../shared/channel.js';
import * as native from '../shared/native/index.js';
import { parseControl, type ControlMessage } from '../protocol/bus/control.js';
import { asErrno, pvError } from '../shared/errors.js';
import { frameCrc } from '../shared/pixels/crc.js';
import type { FrameView } from '../shared/pixels/frame.js';
import { writePng } from '../shared/pixels/png.js';
import { stateName } from '../protocol/bus/xenbus-state.js';
import { fourccToString } from '../protocol/formats.js';
import { FrontendPeer, type BackendConfig } from './peer.js';
import type { Pipeline, ScannedFrame } from './display/pipeline.js';
import { FaultPlan } from './faults/plan.js';
import { BackendBudgets, LIMITS } from './limits.js';
import { DomainIds } from './domain-ids.js';
import { logger } from '../shared/log.js';
import type { MessageChannel } from '../shared/message-channel.js';
import { RemoteFrontendChannel } from './remote/remote-frontend.js';
import { RemoteListener, type RemoteListenOptions } from './remote/remote-listener.js';

const log = logger('server');

export interface ConnectorStatus {
  index: number;
  width: number;
  height: number;
  refreshHz: number;
  /** Something is shown (SET_CONFIG done). */
  enabled: boolean;
  /** False after a `disconnect` fault: nothing is scanned out. */
  connected: boolean;
  /** The shown area, "WxH", or null. */
  mode: string | null;
  /** Frames scanned out (the sequence of the last one). */
  frames: number;
  flips: number;
  /** Flips per second over the last whole second. */
  fps: number;
  lastCrc: number | undefined;
  pixelBytesCopied: number;
  /** The shown buffer's pages were truncated by the frontend (the SIGBUS guard replaced them with zeros). */
  faulted: boolean;
  /** Frame-done events that faults dropped. */
  frameDoneDropped: number;
  /** As the frontend publishes them (null until it does). */
  frameDoneTimeouts: number | null;
  linkStatus: string | null;
}

export interface PeerStatus {
  domid: number;
  frontendState: string;
  backendState: string;
  version: number | undefined;
  stalled: boolean;
  connectors: ConnectorStatus[];
}

export interface SnapshotResult {
  path: string;
  width: number;
  height: number;
  format: string;
  crc: number;
  sequence: number;
}

export interface ServerEvents {
  frame: [frame: ScannedFrame, domid: number];
  peer: [domid: number];
}

export class BackendServer extends EventEmitter<ServerEvents> {
  readonly socketPath: string;
  private listener: Listener | undefined;
  private remote: RemoteListener | undefined;
  private readonly byDomid = new Map<number, FrontendPeer>();
  /** Connections that have not said hello yet. */
  private readonly greeting = new Set<MessageChannel>();
  private readonly lastCrc = new Map<string, number | undefined>();
  private readonly domids = new DomainIds();
  readonly faults = new FaultPlan();
  private readonly budgets = new BackendBudgets();

  constructor(
    runtimeDir: string,
    readonly config: BackendConfig,
  ) {
    super();
    this.socketPath = join(runtimeDir, 'backend.sock');
  }

  start(): void {
    this.listener = new Listener(this.socketPath, (ch) => this.accept(ch));
    chmodSync(this.socketPath, 0o600);
  }

  /** Also serves frontends on other hosts, over ws:// or wss:// with a token (see RemoteListener). */
  async listenRemote(options: RemoteListenOptions): Promise<RemoteListener> {
    const remote = new RemoteListener(options, (ws, from) => this.accept(new RemoteFrontendChannel(ws, { mirrorPages: this.budgets.mirrorsForPeer() }, from)));
    await remote.listen();
    this.remote = remote;
    return remote;
  }

  /**
   * A connection becomes a frontend at its hello, the first message it must send: only then is a domain id given
   * and the peer announced, so a probe (another backend checking whether this one runs: connect, close) or a
   * connection that opens with anything else costs nothing. Waiting connections count against the limit.
   */
  private accept(ch: MessageChannel): void {
    if (this.byDomid.size + this.greeting.size >= LIMITS.frontends) {
      log.warn(`a frontend connected past the limit of ${LIMITS.frontends}: closed`);
      return ch.close();
    }
    this.greeting.add(ch);
    const settle = (): void => {
      this.greeting.delete(ch);
      ch.off('message', onHello);
      ch.off('close', settle);
    };
    const onHello = (raw: Message, fds: number[]): void => {
      settle();
      let hello: ControlMessage | undefined;
      try {
        hello = parseControl(raw);
      } catch {
        hello = undefined;
      }
      if (hello?.t !== 'hello' || fds.length > 0) {
        for (const fd of fds) native.close(fd);
        log.debug(`a connection that did not open with a valid hello (${String(raw.t).slice(0, 32)}): closed`);
        return ch.close(pvError('EPROTO', 'the first message must be a hello'));
      }
      this.welcome(ch);
    };
    ch.on('message', onHello);
    ch.on('close', settle);
  }

  private welcome(ch: MessageChannel): void {
    const domid = this.domids.take((id) => this.byDomid.has(id));
    if (domid === undefined) return ch.close(pvError('ENOSPC', 'every frontend domain id is in use'));
    let peer: FrontendPeer;
    try {
      peer = new FrontendPeer(ch, domid, this.config, this.faults, this.budgets.forPeer());
    } catch (e) {
      // One frontend that cannot be set up is that frontend's failure, never the backend's.
      log.warn(`domain ${domid}: ${asErrno(e).message}`);
      return ch.close(asErrno(e));
    }
    this.byDomid.set(domid, peer);
    peer.on('frame', (f) => {
      this.lastCrc.set(`${domid}/${f.connector}`, f.crc);
      this.emit('frame', f, domid);
    });
    peer.on('closed', () => {
      this.byDomid.delete(domid);
      // An id is reused only after the allocator wraps: what was kept per connector of a gone peer would pile up.
      for (let i = 0; i < this.config.connectors.length; i++) this.lastCrc.delete(`${domid}/${i}`);
    });
    this.emit('peer', domid);
    peer.start();
  }

  /** Resolves once every frame scanned out so far has its CRC in (status then reports each one's). */
  async framesSettled(): Promise<void> {
    await Promise.all(this.peers().flatMap((p) => p.pipelines.map((pipe) => pipe.crcSettled())));
  }

  status(): PeerStatus[] {
    return this.peers().map((p) => ({
      domid: p.domid,
      frontendState: stateName(p.frontendState),
      backendState: stateName(p.backendState),
      version: p.version,
      stalled: p.stalled,
      connectors: this.config.connectors.map((c, i) => {
        const pipe = p.pipelines[i];
        const shown = pipe?.current;
        const fe = p.frontendStats(i);
        return {
          index: i,
          // A hotplug with a new EDID may have changed the mode since the backend started.
          width: (pipe?.spec ?? c).width,
          height: (pipe?.spec ?? c).height,
          refreshHz: (pipe?.spec ?? c).refreshHz,
          enabled: Boolean(shown),
          connected: pipe?.connected ?? true,
          mode: shown ? `${shown.vp.width}x${shown.vp.height}` : null,
          frames: pipe?.sequence ?? 0,
          flips: pipe?.flips ?? 0,
          fps: Math.round((pipe?.fps ?? 0) * 10) / 10,
          lastCrc: this.lastCrc.get(`${p.domid}/${i}`),
          pixelBytesCopied: pipe?.copiedBytes ?? 0,
          faulted: shown?.fb.dbuf.faulted ?? false,
          frameDoneDropped: p.droppedEvents(i),
          frameDoneTimeouts: fe.frameDoneTimeouts ?? null,
          linkStatus: fe.linkStatus ?? null,
        };
      }),
    }));
  }

  peers(): FrontendPeer[] {
    return [...this.byDomid.values()];
  }

  /** Frontend `domid`, or the one that connected last; ENODEV when there is none. */
  peer(domid?: number): FrontendPeer {
    const peer = domid === undefined ? this.peers().pop() : this.byDomid.get(domid);
    if (!peer) throw pvError('ENODEV', domid === undefined ? 'no frontend is connected' : `no frontend with domain id ${domid}`);
    return peer;
  }

  /** Connector `index` of a frontend (see peer()); ENODEV until that frontend is connected. */
  pipeline(index: number, domid?: number): Pipeline {
    const peer = this.peer(domid);
    const pipe = peer.pipelines[index];
    if (!pipe) throw pvError('ENODEV', `domain ${peer.domid} has no connector ${index} (connectors: ${peer.pipelines.length})`);
    return pipe;
  }

  /** What connector `index` of frontend `domid` shows now, or null (the viewer's source). */
  sample(domid: number, index: number): FrameView | null {
    return this.byDomid.get(domid)?.pipelines[index]?.sample() ?? null;
  }

  /** Writes what connector `index` shows now as a PNG; ENODEV when nothing is shown there. */
  async snapshot(index: number, path: string, domid?: number): Promise<SnapshotResult> {
    const pipe = this.pipeline(index, domid);
    const view = pipe.sampleOrFail();
    await writePng(path, view);
    return { path, width: view.width, height: view.height, format: fourccToString(view.fourcc), crc: frameCrc(view), sequence: pipe.sequence };
  }

  close(): void {
    this.listener?.close();
    for (const ch of this.greeting) ch.close();
    this.remote?.close();
    for (const p of this.byDomid.values()) p.close();
  }
}
