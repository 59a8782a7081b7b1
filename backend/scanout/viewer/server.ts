// The viewer's HTTP server (loopback by default): GET / serves the page, /ws upgrades to the frame stream, and,
// only when an admin handler is given, POST /api runs admin commands (the same JSON as admin.sock, one request per
// body). The page and the stream need the viewer's token, /api the admin token: watching never grants admin. A
// request with neither is 403 and nothing else is said.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { pvError } from '../../../shared/errors.js';
import { hasToken, newToken } from './access.js';
import { ViewerHub, type ViewerSource } from './hub.js';
import { PAGE_CSP, PAGE_HTML } from './page.js';

const MAX_BODY = 64 * 1024;
/** The page sends nothing; anything bigger than this from a browser closes its socket (1009). */
const MAX_WS_MESSAGE = 4096;

/** Runs one admin request body; answers JSON and, for a failure, the HTTP status 400. */
export type AdminHandler = (body: string) => Promise<{ answer: { ok: unknown } | { error: unknown }; afterReply?: () => void }>;

export interface ViewerOptions {
  host: string;
  port: number;
  source: ViewerSource;
  /** Admin over HTTP (POST /api with the admin token); off without it. */
  admin?: AdminHandler;
}

/** "PORT" or "HOST:PORT" ("[::1]:PORT" for IPv6); the host defaults to 127.0.0.1. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw pvError('EINVAL', `--viewer takes [HOST:]PORT (port 0 for any free one), got "${value}"`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

export class ViewerServer {
  /** Watching: the page and its stream. */
  readonly token = newToken();
  /** POST /api; undefined while admin over HTTP is off. */
  readonly adminToken: string | undefined;
  readonly hub: ViewerHub;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE });

  constructor(private readonly options: ViewerOptions) {
    this.adminToken = options.admin ? newToken() : undefined;
    this.hub = new ViewerHub(options.source);
    this.http = createServer((req, res) => this.route(req, res));
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
  }

  /** The page's address with the viewer's token, as printed for the user. */
  get url(): string {
    return `${this.origin}/?token=${this.token}`;
  }

  /** Where admin requests are POSTed, with the admin token; undefined while admin over HTTP is off. */
  get adminUrl(): string | undefined {
    return this.adminToken === undefined ? undefined : `${this.origin}/api?token=${this.adminToken}`;
  }

  private get origin(): string {
    const addr = this.http.address();
    if (addr === null || typeof addr === 'string') throw pvError('ENOTCONN', 'the viewer is not listening');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host}:${addr.port}`;
  }

  close(): void {
    this.hub.close();
    this.wss.close();
    this.http.closeAllConnections();
    this.http.close();
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = requestUrl(req);
    if (!url) return plain(res, 400, 'bad request target');
    const admin = this.adminToken !== undefined && hasToken(url, this.adminToken);
    if (!admin && !hasToken(url, this.token)) return plain(res, 403, 'forbidden: this viewer needs its token (see the URL the backend printed)');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (url.pathname === '/api') {
      const handler = this.options.admin;
      if (!handler) return plain(res, 404, 'admin over HTTP is off (start the backend with --viewer-admin)');
      if (!admin) return plain(res, 403, "forbidden: the admin API needs the admin token, not the viewer's");
      if (req.method !== 'POST') return plain(res, 405, 'POST a JSON admin request');
      return this.api(req, res, handler);
    }
    if (admin) return plain(res, 403, "forbidden: the admin token is for /api only; watching takes the viewer's token");
    if (url.pathname === '/') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'GET only');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP });
      res.end(req.method === 'HEAD' ? undefined : PAGE_HTML);
      return;
    }
    plain(res, 404, 'not found');
  }

  private api(req: IncomingMessage, res: ServerResponse, handler: AdminHandler): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return json(res, 413, { error: { code: 'EMSGSIZE', errno: 90, message: `EMSGSIZE: request body over ${MAX_BODY} bytes` } });
      void handler(Buffer.concat(chunks).toString('utf8')).then(({ answer, afterReply }) => json(res, 'ok' in answer ? 200 : 400, answer, afterReply));
    });
    req.on('error', () => res.destroy());
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    if (!url || url.pathname !== '/ws' || !hasToken(url, this.token)) {
      const status = !url ? '400 Bad Request' : url.pathname === '/ws' ? '403 Forbidden' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.hub.add(ws));
  }
}

/** The request target as a URL; undefined for one that does not parse (a client's garbage, never a crash). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://viewer');
  } catch {
    return undefined;
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

function json(res: ServerResponse, status: number, value: unknown, afterReply?: () => void): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value) + '\n', afterReply);
}
