// Who may use the viewer: whoever presents its token, a random secret printed only in the viewer's URL. The page,
// its WebSocket and the HTTP admin route all take it as the `token` query parameter; anything else is 403.
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
