// The backend's admin API: newline-delimited JSON over admin.sock (mode 0600 in the 0700 runtime dir). Each line
// `{"cmd": ..., ...}` gets one line back: `{"ok": result}` or `{"error": {"code", "errno", "message"}}`.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { asErrno, pvError } from '../shared/errors.js';
import { type Fields, uint, str } from '../protocol/fields.js';
import type { BackendServer } from './server.js';

const MAX_LINE = 64 * 1024;

export class AdminServer {
  readonly path: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(runtimeDir: string, private readonly backend: BackendServer) {
    this.path = join(runtimeDir, 'admin.sock');
    this.server = createServer((s) => this.serve(s));
  }

  listen(): Promise<void> {
    rmSync(this.path, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => {
        chmodSync(this.path, 0o600);
        resolve();
      });
    });
  }

  private serve(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        s.end(JSON.stringify({ error: { code: 'EMSGSIZE', errno: 90, message: 'request line too long' } }) + '\n');
        return;
      }
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.answer(line).then((out) => s.writable && s.write(JSON.stringify(out) + '\n'));
      }
    });
  }

  private async answer(line: string): Promise<Record<string, unknown>> {
    try {
      let req: unknown;
      try {
        req = JSON.parse(line);
      } catch {
        throw pvError('EINVAL', 'request is not JSON');
      }
      if (typeof req !== 'object' || req === null) throw pvError('EINVAL', 'request must be a JSON object');
      return { ok: await this.run(req as Fields) };
    } catch (e) {
      const err = asErrno(e);
      return { error: { code: err.code, errno: err.errno, message: err.message } };
    }
  }

  private async run(req: Fields): Promise<unknown> {
    switch (req.cmd) {
      case 'status':
        return this.backend.status();
      case 'snapshot':
        return this.backend.snapshot(req.connector === undefined ? 0 : uint(req, 'connector', 255), str(req, 'path'), req.domid === undefined ? undefined : uint(req, 'domid'));
      default:
        throw pvError('EINVAL', `unknown command ${JSON.stringify(req.cmd)}; known: status, snapshot`);
    }
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    rmSync(this.path, { force: true });
  }
}
