// Addresses of the remote transport: ws://HOST:PORT (loopback, or a network the user trusts) and wss://HOST:PORT.
import { isIP } from 'node:net';
import { pvError } from '../errors.js';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** The scheme, host and port of a ws:// or wss:// address; EINVAL for anything else. */
export function parseRemoteUrl(value: string, what: string): { tls: boolean; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw pvError('EINVAL', `${what} must be ws://HOST:PORT or wss://HOST:PORT, got "${value}"`);
  }
  if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || !url.port || url.pathname.length > 1 || url.search) {
    throw pvError('EINVAL', `${what} must be ws://HOST:PORT or wss://HOST:PORT, got "${value}"`);
  }
  return { tls: url.protocol === 'wss:', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}
