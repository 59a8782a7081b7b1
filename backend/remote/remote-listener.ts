// Where remote frontends connect: `ws://HOST:PORT` or, with a certificate and key, `wss://HOST:PORT`. Every
// upgrade must carry the token (`Authorization: Bearer TOKEN`, compared in constant time) or is answered 401 and
// closed before any WebSocket exists; other HTTP requests get 426. Plain ws:// is refused on an address other than
// loopback (the token and the pixels would cross the network in the clear) unless the user insists (`insecure`).
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_REMOTE_MESSAGE } from '../../protocol/bus/remote.js';
import { pvError } from '../../shared/errors.js';
import { tokenMatches } from '../../shared/remote/token.js';
import { isLoopback, parseRemoteUrl } from '../../shared/remote/address.js';
import { newToken } from '../scanout/viewer/access.js';

export interface RemoteListenOptions {
  /** ws://HOST:PORT or wss://HOST:PORT (port 0 picks a free one). */
  url: string;
  /** Default: a fresh random one. */
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Allow plain ws:// on an address other than loopback. */
  insecure?: boolean;
}

export class RemoteListener {
  readonly token: string;
  private readonly tls: boolean;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REMOTE_MESSAGE });
  private readonly host: string;
  private readonly port: number;

  constructor(
    options: RemoteListenOptions,
    private readonly onConnection: (ws: WebSocket, remote: string) => void,
  ) {
    const { tls, host, port } = parseRemoteUrl(options.url, '--listen');
    if (tls !== Boolean(options.tlsCert && options.tlsKey)) {
      throw pvError('EINVAL', tls ? 'wss:// needs --tls-cert and --tls-key' : '--tls-cert and --tls-key go with a wss:// address');
    }
    if (!tls && !isLoopback(host) && !options.insecure) {
      throw pvError('EACCES', `plain ws:// on ${host} would send the token and every frame in the clear: use wss:// with --tls-cert/--tls-key (or --insecure on a network you trust)`);
    }
    this.tls = tls;
    this.host = host;
    this.port = port;
    if (options.token !== undefined && !/^\S{16,}$/.test(options.token)) throw pvError('EINVAL', 'a token must be at least 16 characters without spaces');
    this.token = options.token ?? newToken();
    const refuse426 = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('a pvdisplay backend: connect a frontend with --backend and --token\n');
    };
    this.server = tls ? createHttps({ cert: readFileSync(options.tlsCert!), key: readFileSync(options.tlsKey!) }, refuse426) : createHttp(refuse426);
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket) => socket.destroy());
    this.server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => resolve());
    });
  }

  /** The address frontends connect to, with the port chosen. */
  get url(): string {
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw pvError('ENOTCONN', 'not listening');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `${this.tls ? 'wss' : 'ws'}://${host}:${addr.port}`;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (!tokenMatches(req.headers.authorization, this.token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, remote));
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    this.server.close();
  }
}
