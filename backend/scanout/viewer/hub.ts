// The viewer's browsers and screens: every connected browser gets a feed of every screen (each frontend's
// connectors) and a status message once a second. Screens follow the backend's frontends as they come and go;
// feeds run only while at least one browser watches.
import type { WebSocket } from 'ws';
import type { PeerStatus } from '../../server.js';
import type { FrameView } from '../../../shared/pixels/frame.js';
import { ViewerClient, type ViewerClientStats } from './client.js';
import { ScreenFeed } from './screen-feed.js';

/** What the viewer reads from the backend. */
export interface ViewerSource {
  status(): PeerStatus[];
  sample(domid: number, connector: number): FrameView | null;
}

const STATUS_MS = 1000;

export interface ScreenStatus extends Omit<PeerStatus, 'connectors' | 'domid'> {
  id: number;
  domid: number;
  connector: PeerStatus['connectors'][number];
}

export class ViewerHub {
  private readonly clients: ViewerClient[] = [];
  private readonly feeds = new Map<string, ScreenFeed>();
  private nextScreen = 1;
  private nextClient = 1;
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(private readonly source: ViewerSource) {}

  add(ws: WebSocket): void {
    const client = new ViewerClient(this.nextClient++, ws);
    this.clients.push(client);
    ws.on('message', () => client.sendJson({ type: 'error', error: { code: 'EINVAL', errno: 22, message: 'EINVAL: the viewer takes no messages' } }));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.clients.splice(this.clients.indexOf(client), 1);
      if (this.clients.length === 0) this.idle();
    });
    client.sendJson(this.status());
    if (this.clients.length === 1) {
      for (const f of this.feeds.values()) f.start();
      this.statusTimer = setInterval(() => this.broadcast(), STATUS_MS);
    }
  }

  stats(): { viewers: ViewerClientStats[] } {
    return { viewers: this.clients.map((c) => c.stats()) };
  }

  close(): void {
    for (const c of this.clients) c.ws.terminate();
    this.idle();
  }

  private idle(): void {
    clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    for (const f of this.feeds.values()) f.stop();
  }

  private broadcast(): void {
    const status = this.status();
    for (const c of this.clients) c.sendJson(status);
  }

  /** The backend's status per screen; creates feeds for new screens and drops those of departed frontends. */
  private status(): { type: 'status'; screens: ScreenStatus[] } {
    const screens: ScreenStatus[] = [];
    const live = new Set<string>();
    for (const peer of this.source.status()) {
      const { connectors, ...rest } = peer;
      for (const connector of connectors) {
        const key = `${peer.domid}/${connector.index}`;
        live.add(key);
        screens.push({ ...rest, id: this.feed(key, peer.domid, connector).id, connector });
      }
    }
    for (const [key, feed] of this.feeds) {
      if (live.has(key)) continue;
      feed.stop();
      this.feeds.delete(key);
    }
    return { type: 'status', screens };
  }

  private feed(key: string, domid: number, connector: PeerStatus['connectors'][number]): ScreenFeed {
    let feed = this.feeds.get(key);
    if (!feed) {
      const id = this.nextScreen;
      this.nextScreen = (this.nextScreen % 0xffff) + 1; // screen ids are u16 on the wire
      feed = new ScreenFeed(id, connector.refreshHz, () => this.source.sample(domid, connector.index), () => this.clients);
      this.feeds.set(key, feed);
      if (this.clients.length > 0) feed.start();
    }
    return feed;
  }
}
