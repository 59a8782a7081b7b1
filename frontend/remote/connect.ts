// Connects a frontend to a remote backend: the WebSocket with the token, TLS trust (a CA file for a self-signed
// certificate), and the same refusal of plain ws:// off loopback as the backend's listener.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { MAX_REMOTE_MESSAGE } from '../../protocol/bus/remote.js';
import { pvError } from '../../shared/errors.js';
import { isLoopback, parseRemoteUrl } from '../../shared/remote/address.js';
import { authorization } from '../../shared/remote/token.js';
import { RemoteBackendChannel } from './remote-backend.js';

export interface RemoteBackend {
  /** ws://HOST:PORT or wss://HOST:PORT */
  url: string;
  token: string;
  /** PEM file of the certificate (or its CA) the backend presents; default: the system's CAs. */
  tlsCa?: string;
  /** Allow plain ws:// to an address other than loopback. */
  insecure?: boolean;
}

const HANDSHAKE_MS = 10_000;

/** Checks the address (EINVAL, EACCES) at once; the connection itself is made in the background. */
export function checkRemoteBackend(o: RemoteBackend): void {
  const { tls, host } = parseRemoteUrl(o.url, '--backend');
  if (!tls && !isLoopback(host) && !o.insecure) {
    throw pvError('EACCES', `plain ws:// to ${host} would send the token and every frame in the clear: use wss:// (or --insecure on a network you trust)`);
  }
  if (!o.token) throw pvError('EINVAL', 'a remote backend needs its token (--token or PVDISPLAY_TOKEN)');
}

export function connectRemote(o: RemoteBackend): RemoteBackendChannel {
  checkRemoteBackend(o);
  const ws = new WebSocket(o.url, {
    headers: { authorization: authorization(o.token) },
    maxPayload: MAX_REMOTE_MESSAGE,
    handshakeTimeout: HANDSHAKE_MS,
    perMessageDeflate: false,
    ...(o.tlsCa ? { ca: readFileSync(o.tlsCa) } : {}),
  });
  return new RemoteBackendChannel(ws);
}
