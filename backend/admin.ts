// The backend's admin API over admin.sock (mode 0600 in the 0700 runtime dir): newline-delimited JSON. Each line
// `{"cmd": ..., ...}` gets one line back: `{"ok": result}` or `{"error": {"code", "errno", "message"}}`. The
// commands themselves are AdminCommands'; answerAdmin() is shared with the viewer's HTTP route.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { asErrno, pvError } from '../shared/errors.js';
import type { Fields } from '../protocol/fields.js';
import type { AdminCommands } from './admin-commands.js';

export type AdminAnswer = { ok: unknown } | { error: { code: string; errno: number; message: string } };

/** Parses one request text and runs it; never throws. `afterReply` is set when the answer must go out first. */
export async function answerAdmin(commands: AdminCommands, text: string): Promise<{ answer: AdminAnswer; afterReply?: () => void }> {
  try {
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      throw pvError('EINVAL', 'request is not JSON');
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) throw pvError('EINVAL', 'request must be a JSON object');
    const reply = await commands.run(req as Fields);
    return { answer: { ok: reply.ok }, afterReply: reply.afterReply };
  } catch (e) {
    const err = asErrno(e);
    return { answer: { error: { code: err.code, errno: err.errno, message: err.message } } };
  }
}

const MAX_LINE = 64 * 1024;

export class AdminServer {
  readonly path: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(runtimeDir: string, private readonly commands: AdminCommands) {
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
        void answerAdmin(this.commands, line).then(({ answer, afterReply }) => {
          if (s.writable) s.write(JSON.stringify(answer) + '\n', afterReply);
          else afterReply?.();
        });
      }
    });
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    rmSync(this.path, { force: true });
  }
}
