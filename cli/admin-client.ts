// Talks to a running backend's admin API (admin.sock): one JSON request line, one JSON answer line. Commands that
// need a backend use backendCall(), which names the runtime dir when no backend is listening there.
import { createConnection } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { asErrno, fromErrno, pvError } from '../shared/errors.js';

export function adminCall<T>(socketPath: string, request: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socketPath);
    let buf = '';
    const fail = (e: unknown): void => {
      clearTimeout(timer);
      s.destroy();
      reject(asErrno(e));
    };
    const timer = setTimeout(() => fail(pvError('ETIMEDOUT', `no answer from ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify(request) + '\n'));
    s.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      s.end();
      let answer: { ok?: T; error?: { errno: number; message: string } };
      try {
        answer = JSON.parse(buf.slice(0, nl)) as typeof answer;
      } catch {
        return fail(pvError('EPROTO', `${socketPath} answered something that is not JSON`));
      }
      if (answer.error) reject(fromErrno(answer.error.errno, answer.error.message));
      else resolve(answer.ok as T);
    });
    s.on('error', fail);
  });
}

/** An admin call to the backend of `runtimeDir`; ENOENT naming the directory when no backend serves there. */
export function backendCall<T>(runtimeDir: string, request: Record<string, unknown>, timeoutMs?: number): Promise<T> {
  const path = join(runtimeDir, 'admin.sock');
  if (!existsSync(path)) return Promise.reject(pvError('ENOENT', `${path} does not exist: is the backend running (or is it another --runtime-dir)?`));
  return adminCall<T>(path, request, timeoutMs);
}
