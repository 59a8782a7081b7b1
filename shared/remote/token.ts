// The remote transport's credential: a random token the backend prints (made as the viewer's is), sent by the frontend as
// `Authorization: Bearer TOKEN` on the WebSocket upgrade. Compared through SHA-256 digests with timingSafeEqual,
// so neither the token's bytes nor its length leak through the time a refusal takes.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when the `authorization` header carries exactly `token`. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (\S+)$/.exec(header ?? '');
  // The digest is compared even without a header, so a missing one takes as long as a wrong one.
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

export function authorization(token: string): string {
  return `Bearer ${token}`;
}
