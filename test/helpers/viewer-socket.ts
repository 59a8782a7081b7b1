// A test's own viewer client: connects to the viewer's WebSocket like the page does, keeps the latest status,
// assembles each screen's RGBA image from the tile messages (decoded independently of the page's script) and
// counts the bytes of frame messages, so tests can check pixels and damage costs without a browser. Also starts
// a pair whose backend serves the viewer.
import { WebSocket } from 'ws';
import { startPair, type Pair } from '../../cli/processes.js';

/**
 * A backend with the viewer on a free loopback port (and with `admin`, the admin API on it), a frontend, and the
 * viewer's URL (and the admin URL) as printed.
 */
export async function startViewerPair(connectors: string, admin = false): Promise<{ pair: Pair; url: string; adminUrl: string | undefined }> {
  const pair = await startPair({ connectors, backendArgs: ['--viewer', '127.0.0.1:0', ...(admin ? ['--viewer-admin'] : [])] });
  const url = /viewer: (\S+)/.exec(await pair.backend.waitLine(/^viewer: /))![1]!;
  const adminUrl = admin ? /viewer admin: POST (\S+)/.exec(await pair.backend.waitLine(/^viewer admin: /))![1]! : undefined;
  return { pair, url, adminUrl };
}

export interface ViewerScreen {
  width: number;
  height: number;
  rgba: Uint8Array;
  frames: number;
}

export interface StatusScreen {
  id: number;
  domid: number;
  frontendState: string;
  backendState: string;
  connector: { index: number; mode: string | null; connected: boolean; flips: number; fps: number };
}

export class ViewerSocket {
  readonly screens = new Map<number, ViewerScreen>();
  status: StatusScreen[] = [];
  texts: Record<string, unknown>[] = [];
  frameBytes = 0;
  frames = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frame(data);
      else {
        const msg = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        this.texts.push(msg);
        if (msg.type === 'status') this.status = msg.screens as StatusScreen[];
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Opens the stream of a viewer whose page URL (with the token) is `pageUrl`. */
  static open(pageUrl: string): Promise<ViewerSocket> {
    const url = new URL(pageUrl);
    url.protocol = 'ws:';
    url.pathname = '/ws';
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new ViewerSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Resolves once `done()` holds after some message, or rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('viewer: condition not met in time');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  close(): void {
    this.ws.close();
  }

  private frame(buf: Buffer): void {
    this.frameBytes += buf.length;
    this.frames++;
    const id = buf.readUInt16LE(2);
    const width = buf.readUInt16LE(4);
    const height = buf.readUInt16LE(6);
    let s = this.screens.get(id);
    if (!s || s.width !== width || s.height !== height) {
      s = { width, height, rgba: new Uint8Array(width * height * 4), frames: 0 };
      this.screens.set(id, s);
    }
    let off = 12;
    for (let i = buf.readUInt32LE(8); i > 0; i--) {
      const x = buf.readUInt16LE(off);
      const y = buf.readUInt16LE(off + 2);
      const w = buf.readUInt16LE(off + 4);
      const h = buf.readUInt16LE(off + 6);
      off += 8;
      for (let row = 0; row < h; row++) s.rgba.set(buf.subarray(off + row * w * 4, off + (row + 1) * w * 4), ((y + row) * width + x) * 4);
      off += w * h * 4;
    }
    s.frames++;
  }
}
