// The viewer's small pure pieces: where it listens ([HOST:]PORT), the token check, and the frame message layout
// the page decodes (header, then per tile its rectangle and RGBA bytes, little endian).
import { describe, expect, it } from 'vitest';
import { hasToken, newToken } from '../../backend/scanout/viewer/access.js';
import { parseListen } from '../../backend/scanout/viewer/server.js';
import { FRAME_HEADER_BYTES, TILE_HEADER_BYTES, encodeFrame } from '../../backend/scanout/viewer/wire.js';

describe('parseListen', () => {
  it.each([
    ['8080', { host: '127.0.0.1', port: 8080 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:9000', { host: '0.0.0.0', port: 9000 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['[::1]:0', { host: '::1', port: 0 }],
  ])('%s', (value, want) => expect(parseListen(value)).toEqual(want));

  it.each(['', 'x', '70000', 'a:b', 'a:1:2', ':80', '[::1]'])('%j is EINVAL', (value) => {
    expect(() => parseListen(value)).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/\[HOST:\]PORT/) }));
  });
});

describe('viewer token', () => {
  it('is random and checked exactly', () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(newToken()).not.toBe(token);
    expect(hasToken(new URL(`http://h/?token=${token}`), token)).toBe(true);
    expect(hasToken(new URL(`http://h/?token=${token}x`), token)).toBe(false);
    expect(hasToken(new URL(`http://h/?token=${token.slice(1)}`), token)).toBe(false);
    expect(hasToken(new URL('http://h/'), token)).toBe(false);
  });
});

describe('encodeFrame', () => {
  it('lays out the header and each tile as the page reads them', () => {
    const a = Uint8Array.from({ length: 2 * 1 * 4 }, (_, i) => i);
    const b = Uint8Array.from({ length: 1 * 3 * 4 }, (_, i) => 100 + i);
    const msg = encodeFrame(0x1234, 1920, 1080, [
      { x: 64, y: 128, width: 2, height: 1, rgba: a },
      { x: 1919, y: 1077, width: 1, height: 3, rgba: b },
    ]);
    expect(msg.length).toBe(FRAME_HEADER_BYTES + 2 * TILE_HEADER_BYTES + a.length + b.length);
    expect([msg[0], msg[1], msg.readUInt16LE(2), msg.readUInt16LE(4), msg.readUInt16LE(6), msg.readUInt32LE(8)]).toEqual([1, 0, 0x1234, 1920, 1080, 2]);
    expect([msg.readUInt16LE(12), msg.readUInt16LE(14), msg.readUInt16LE(16), msg.readUInt16LE(18)]).toEqual([64, 128, 2, 1]);
    expect([...msg.subarray(20, 28)]).toEqual([...a]);
    expect([msg.readUInt16LE(28), msg.readUInt16LE(30), msg.readUInt16LE(32), msg.readUInt16LE(34)]).toEqual([1919, 1077, 1, 3]);
    expect([...msg.subarray(36)]).toEqual([...b]);
  });
});
