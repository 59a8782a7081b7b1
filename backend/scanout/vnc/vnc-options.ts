// `--vnc [HOST:]PORT` and `--vnc-password-file`: where the screens listen and how clients authenticate. On
// loopback, None security unless a password file is given; anywhere else VNC authentication always, with the
// file's password or a random one the backend prints.
import { readFileSync } from 'node:fs';
import { pvError } from '../../../shared/errors.js';
import { parseListen } from '../viewer/server.js';
import { newPassword, PASSWORD_BYTES } from './vnc-auth.js';
import { isLoopback, type VncOptions } from './vnc-hub.js';
import type { VncScreenStats } from './vnc-screen.js';

export function vncOptions(listen: string, passwordFile: string | undefined): { options: VncOptions; generated: boolean } {
  const { host, port } = parseListen(listen, '--vnc');
  if (passwordFile !== undefined) {
    const password = readFileSync(passwordFile, 'utf8').split('\n')[0]!;
    if (password.length === 0) throw pvError('EINVAL', `--vnc-password-file ${passwordFile}: the first line is empty`);
    if (Buffer.byteLength(password, 'latin1') > PASSWORD_BYTES) process.stderr.write(`[vnc] warn: VNC authentication uses only the first ${PASSWORD_BYTES} characters of the password\n`);
    return { options: { host, port, password }, generated: false };
  }
  if (isLoopback(host)) return { options: { host, port, password: undefined }, generated: false };
  return { options: { host, port, password: newPassword() }, generated: true };
}

/** The line the backend prints for a screen that listens or changes hands. */
export function vncScreenLine(s: VncScreenStats): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const who = s.domid === null ? `slot ${s.slot} (no frontend yet)` : `domain ${s.domid}`;
  return `vnc: ${who} connector ${s.connector} on ${host}:${s.port} (security ${s.security})\n`;
}
