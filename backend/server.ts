// The backend process's core: listens on backend.sock for frontends, gives each a domain id and a FrontendPeer,
// and answers what the admin API and the CLI ask about them (status, snapshots).
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { chmodSync } from 'node:fs';
import { Listener } from '../shared/channel.js';
import { pvError } from '../shared/errors.js';
import { frameCrc } from '../shared/pixels/crc.js';
import { writePng } from '../shared/pixels/png.js';
import { stateName } from '../protocol/bus/xenbus-state.js';
import { fourccToString } from '../protocol/formats.js';
import { FrontendPeer, type BackendConfig } from './peer.js';
import type { ScannedFrame } from './display/pipeline.js';

export interface ConnectorStatus {
  index: number;
  width: number;
  height: number;
  refreshHz: number;
  enabled: boolean;
  frames: number;
  lastCrc: number | undefined;
  pixelBytesCopied: number;
  /** The shown buffer's pages were truncated by the frontend (the SIGBUS guard replaced them with zeros). */
  faulted: boolean;
}

export interface PeerStatus {
  domid: number;
  frontendState: string;
  backendState: string;
  version: number | undefined;
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
  private readonly peers = new Map<number, FrontendPeer>();
  private readonly lastCrc = new Map<string, number | undefined>();
  private nextDomid = 1;

  constructor(
    runtimeDir: string,
    readonly config: BackendConfig,
  ) {
    super();
    this.socketPath = join(runtimeDir, 'backend.sock');
  }

  start(): void {
    this.listener = new Listener(this.socketPath, (ch) => {
      const domid = this.nextDomid++;
      const peer = new FrontendPeer(ch, domid, this.config);
      this.peers.set(domid, peer);
      peer.on('frame', (f) => {
        this.lastCrc.set(`${domid}/${f.connector}`, f.crc);
        this.emit('frame', f, domid);
      });
      peer.on('closed', () => this.peers.delete(domid));
      this.emit('peer', domid);
    });
    chmodSync(this.socketPath, 0o600);
  }

  status(): PeerStatus[] {
    return [...this.peers.values()].map((p) => ({
      domid: p.domid,
      frontendState: stateName(p.frontendState),
      backendState: stateName(p.backendState),
      version: p.version,
      connectors: this.config.connectors.map((c, i) => {
        const pipe = p.pipelines[i];
        return {
          index: i,
          width: c.width,
          height: c.height,
          refreshHz: c.refreshHz,
          enabled: pipe?.configured ?? false,
          frames: pipe?.sequence ?? 0,
          lastCrc: this.lastCrc.get(`${p.domid}/${i}`),
          pixelBytesCopied: pipe?.copiedBytes ?? 0,
          faulted: pipe?.current?.fb.dbuf.faulted ?? false,
        };
      }),
    }));
  }

  /** Writes what connector `index` shows now as a PNG; ENODEV when nothing is shown there. */
  async snapshot(index: number, path: string, domid?: number): Promise<SnapshotResult> {
    const peer = domid === undefined ? [...this.peers.values()].pop() : this.peers.get(domid);
    const pipe = peer?.pipelines[index];
    const shown = pipe?.current;
    if (!pipe || !shown) throw pvError('ENODEV', `connector ${index} shows nothing`);
    const view = shown.fb.view(shown.vp);
    pipe.copiedBytes += shown.fb.dbuf.refresh();
    await writePng(path, view);
    return { path, width: view.width, height: view.height, format: fourccToString(view.fourcc), crc: frameCrc(view), sequence: pipe.sequence };
  }

  close(): void {
    this.listener?.close();
    for (const p of this.peers.values()) p.close();
  }
}
