// VNC authentication's DES against FIPS 81's ECB example (key 0123456789abcdef, "Now is t" → 3fa40e8a984d4815),
// through the bit-mirrored key bytes VNC uses; and the hub's rule that None security never leaves loopback.
import { describe, expect, it } from 'vitest';
import { checkResponse, vncResponse } from '../../backend/scanout/vnc/vnc-auth.js';
import { isLoopback, VncHub } from '../../backend/scanout/vnc/vnc-hub.js';

/** The password whose mirrored bytes are the DES key 01 23 45 67 89 ab cd ef. */
const PASSWORD = String.fromCharCode(0x80, 0xc4, 0xa2, 0xe6, 0x91, 0xd5, 0xb3, 0xf7);

describe('VNC authentication', () => {
  it('answers a challenge with DES under the mirrored password bytes', () => {
    const challenge = Buffer.from('Now is tNow is t', 'latin1');
    expect(vncResponse(PASSWORD, challenge).toString('hex')).toBe('3fa40e8a984d4815'.repeat(2));
    expect(checkResponse(PASSWORD, challenge, vncResponse(PASSWORD, challenge))).toBe(true);
    expect(checkResponse(PASSWORD + 'ignored', challenge, vncResponse(PASSWORD, challenge))).toBe(true);
    expect(checkResponse('other', challenge, vncResponse(PASSWORD, challenge))).toBe(false);
    expect(checkResponse(PASSWORD, challenge, Buffer.alloc(3))).toBe(false);
  });

  it('None security only on loopback: off it the hub needs a password', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '192.168.1.2', '128.0.0.1'].map(isLoopback)).toEqual([false, false, false, false]);
    const source = { config: { connectors: [] }, status: () => [], sample: () => null };
    expect(() => new VncHub(source, { host: '0.0.0.0', port: 0, password: undefined })).toThrow(expect.objectContaining({ code: 'EACCES' }));
    expect(() => new VncHub(source, { host: '0.0.0.0', port: 0, password: 'secret' }).close()).not.toThrow();
  });
});
