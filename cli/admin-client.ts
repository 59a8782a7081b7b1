// Talks to a running backend's admin API (admin.sock): one JSON request line, one JSON answer line.
import { createConnection } from 'node:net';
import { fromErrno, pvError } from '../shared/errors.js';

export function adminCall<T>(socketPath: string, request: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(pvError('ETIMEDOUT', `no answer from ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify(request) + '\n'));
    s.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      s.end();
      const answer = JSON.parse(buf.slice(0, nl)) as { ok?: T; error?: { errno: number; message: string } };
      if (answer.error) reject(fromErrno(answer.error.errno, answer.error.message));
      else resolve(answer.ok as T);
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
