// Who may use the viewer: whoever presents a token, a random secret printed only in a URL. Watching (the page and
// its WebSocket) takes the viewer's token; the HTTP admin route, which can write files and stop the backend, takes
// a token of its own, made only when admin over HTTP was asked for. Both come as the `token` query parameter;
// anything else is 403.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

/** Constant-time check of the `token` query parameter of a request URL against `token`. */
export function hasToken(url: URL, token: string): boolean {
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
