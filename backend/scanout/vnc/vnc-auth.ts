// VNC authentication (RFC 6143 §7.2.2): the server sends a random 16-byte challenge and the client answers with it
// DES-encrypted under the password (its first 8 bytes, zero-padded), each key byte with its bits mirrored as the
// original implementation did. OpenSSL 3 keeps single DES in its legacy provider, which Node does not load, but
// triple DES with three equal keys is single DES (E(D(E(x)))) and is in the default provider.
import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';

export const CHALLENGE_BYTES = 16;
/** VNC authentication uses at most this many bytes of a password. */
export const PASSWORD_BYTES = 8;

function mirror(byte: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (byte & (1 << i)) r |= 0x80 >> i;
  return r;
}

/** The answer a client that knows `password` gives to `challenge`. */
export function vncResponse(password: string, challenge: Buffer): Buffer {
  const key = Buffer.alloc(PASSWORD_BYTES);
  Buffer.from(password, 'latin1').copy(key, 0, 0, PASSWORD_BYTES);
  for (let i = 0; i < key.length; i++) key[i] = mirror(key[i]!);
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(challenge), cipher.final()]);
}

export function newChallenge(): Buffer {
  return randomBytes(CHALLENGE_BYTES);
}

/** Constant-time check of a client's answer. */
export function checkResponse(password: string, challenge: Buffer, answer: Buffer): boolean {
  return answer.length === CHALLENGE_BYTES && timingSafeEqual(vncResponse(password, challenge), answer);
}

/** A random password for a screen reachable off this host: 8 characters of base64url, 48 bits. */
export function newPassword(): string {
  return randomBytes(6).toString('base64url');
}
