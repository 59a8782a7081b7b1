// `--vnc [HOST:]PORT` and `--vnc-password-file`: where the screens listen and how clients authenticate. On
// loopback, None security unless a password file is given; anywhere else VNC authentication always, with the
// file's password or a random one the backend prints.
import { readFileSync } from 'node:fs';
import { pvError } from '../../../shared/errors.js';
import { logger } from '../../../shared/log.js';
import { parseListen } from '../viewer/server.js';
import { CHALLENGE_BYTES, newPassword, PASSWORD_BYTES, vncResponse } from './vnc-auth.js';
import { isLoopback, type VncOptions } from './vnc-hub.js';
import type { VncScreenStats } from './vnc-screen.js';

const log = logger('vnc');

export function vncOptions(listen: string, passwordFile: string | undefined): { options: VncOptions; generated: boolean } {
  const { host, port } = parseListen(listen, '--vnc');
  const o = passwordOptions(host, passwordFile);
  if (o.password !== undefined) {
    try {
      vncResponse(o.password, Buffer.alloc(CHALLENGE_BYTES));
    } catch (e) {
      throw pvError('ENOSYS', `VNC authentication needs DES (as DES-EDE3), which this Node's OpenSSL does not offer: ${(e as Error).message}`);
    }
  }
  return { options: { host, port, password: o.password }, generated: o.generated };
}

function passwordOptions(host: string, passwordFile: string | undefined): { password: string | undefined; generated: boolean } {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(passwordFile, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw pvError(code, `--vnc-password-file ${passwordFile}: cannot read it (${code})`);
    }
    const password = text.split(/\r?\n/)[0]!;
    if (password.length === 0) throw pvError('EINVAL', `--vnc-password-file ${passwordFile}: the first line is empty`);
    if (Buffer.byteLength(password, 'latin1') > PASSWORD_BYTES) log.warn(`VNC authentication uses only the first ${PASSWORD_BYTES} characters of the password`);
    return { password, generated: false };
  }
  if (isLoopback(host)) return { password: undefined, generated: false };
  return { password: newPassword(), generated: true };
}

/** The line the backend prints for a screen that listens or changes hands. */
export function vncScreenLine(s: VncScreenStats): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const who = s.domid === null ? `slot ${s.slot} (no frontend yet)` : `domain ${s.domid}`;
  return `vnc: ${who} connector ${s.connector} on ${host}:${s.port} (security ${s.security})\n`;
}
