// EDID: built blocks are valid (checksum, header) and parse back to the mode modeTiming gives; corruption is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEdid, modeTiming, parseEdid } from '../../protocol/edid.js';
import { ProtocolError } from '../../protocol/errors.js';
import { Linux } from '../../protocol/displif/constants.js';
import { expectProtocolError } from './expect-error.js';

function sum(bytes: Uint8Array): number {
  return bytes.reduce((s, b) => (s + b) & 0xff, 0);
}

function fixChecksum(block: Uint8Array): void {
  block[127] = 0;
  block[127] = (256 - sum(block.subarray(0, 128))) & 0xff;
}

describe('modeTiming', () => {
  it('1920x1080@60 is the CVT-RB2-like 2000x1111 mode at 133.32 MHz', () => {
    expect(modeTiming(1920, 1080, 60)).toEqual({
      clock: 133_320,
      hdisplay: 1920, hsyncStart: 1928, hsyncEnd: 1960, htotal: 2000,
      vdisplay: 1080, vsyncStart: 1083, vsyncEnd: 1088, vtotal: 1111,
      vrefresh: 60,
      flags: 1 | 8, // +hsync, -vsync
    });
  });

  it('orders its fields and keeps the refresh exactly, for any size and rate it accepts', () => {
    const size = (max: number) => fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max }));
    fc.assert(
      fc.property(size(4095), size(4095), fc.oneof(fc.integer({ min: 1, max: 240 }), fc.integer({ min: 1, max: 1000 })), (w, h, r) => {
        const t = modeTiming(w, h, r);
        expect(t.hdisplay < t.hsyncStart && t.hsyncStart < t.hsyncEnd && t.hsyncEnd < t.htotal).toBe(true);
        expect(t.vdisplay < t.vsyncStart && t.vsyncStart < t.vsyncEnd && t.vsyncEnd < t.vtotal).toBe(true);
        expect(t.vtotal - t.vdisplay).toBeGreaterThanOrEqual(14);
        expect(t.clock % 10).toBe(0);
        expect(t.vrefresh).toBe(r);
      }),
      { numRuns: 1000 },
    );
    expect(modeTiming(1, 1, 1)).toMatchObject({ vrefresh: 1, clock: 10 });
  });

  it('fits every mode up to Linux\'s 4095x2047 at up to 75 Hz into an EDID detailed timing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Linux.MAX_WIDTH }), fc.integer({ min: 1, max: Linux.MAX_HEIGHT }), fc.integer({ min: 1, max: 75 }), (w, h, r) => {
        expect(parseEdid(buildEdid({ width: w, height: h, refresh: r })).preferred).toMatchObject(modeTiming(w, h, r));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses sizes and rates out of range', () => {
    expectProtocolError(() => modeTiming(0, 480, 60), 'EINVAL', /width/);
    expectProtocolError(() => modeTiming(4096, 480, 60), 'EINVAL', /width/);
    expectProtocolError(() => modeTiming(640, 4096, 60), 'EINVAL', /height/);
    expectProtocolError(() => modeTiming(640, 480, 0), 'EINVAL', /refresh/);
    expectProtocolError(() => modeTiming(640, 480, 59.94), 'EINVAL', /refresh/);
  });
});

describe('EDID', () => {
  it('builds a valid 128-byte EDID 1.4 block', () => {
    const edid = buildEdid({ width: 1920, height: 1080, uniqueId: 'conn-0' });
    expect(edid).toHaveLength(128);
    expect(Array.from(edid.subarray(0, 8))).toEqual([0, 255, 255, 255, 255, 255, 255, 0]);
    expect(sum(edid)).toBe(0);
    expect([edid[18], edid[19]]).toEqual([1, 4]);
    expect(edid[20]! & 0x80).toBe(0x80); // digital input
    expect(Array.from(edid.subarray(38, 54))).toEqual(new Array(16).fill(1)); // unused standard timings
    expect(edid[126]).toBe(0);
    expect([edid[21], edid[22]]).toEqual([51, 29]); // cm at 96 dpi
  });

  it('parses back what it built: identity, name, size and the preferred mode', () => {
    const info = parseEdid(buildEdid({ width: 1920, height: 1080, refresh: 60, uniqueId: 'conn-0', productCode: 0x1234, week: 7, year: 2024 }));
    expect(info).toMatchObject({ manufacturer: 'PVD', productCode: 0x1234, week: 7, year: 2024, name: 'pvdisplay', widthMm: 508, heightMm: 286 });
    expect(info.serial).not.toBe(0);
    expect(info.preferred).toEqual({ width: 1920, height: 1080, refresh: 60, ...modeTiming(1920, 1080, 60) });
  });

  it('derives a stable serial from the unique-id, 0 without one', () => {
    const serial = (uniqueId?: string) => parseEdid(buildEdid({ width: 640, height: 480, uniqueId })).serial;
    expect(serial('a')).toBe(serial('a'));
    expect(serial('a')).not.toBe(serial('b'));
    expect(serial(undefined)).toBe(0);
    expect(parseEdid(buildEdid({ width: 640, height: 480, name: '' })).name).toBe('');
    expect(parseEdid(buildEdid({ width: 640, height: 480, name: 'thirteen-char' })).name).toBe('thirteen-char');
  });

  it('parse(build(mode)) gives the mode back, 640x480..4095x2047 at 30/60/75 Hz', () => {
    const modes = fc.tuple(fc.integer({ min: 640, max: 4095 }), fc.integer({ min: 480, max: 2047 }), fc.constantFrom(30, 60, 75));
    const check = ([w, h, r]: [number, number, number]): void => {
      const edid = buildEdid({ width: w, height: h, refresh: r });
      expect(sum(edid)).toBe(0);
      const { preferred } = parseEdid(edid);
      expect(preferred).toEqual({ width: w, height: h, refresh: r, ...modeTiming(w, h, r) });
      expect(preferred.refresh).toBe(r);
    };
    for (const corner of [[640, 480, 30], [640, 480, 75], [4095, 2047, 30], [4095, 2047, 60], [4095, 2047, 75]] as const) check([...corner]);
    fc.assert(fc.property(modes, check), { numRuns: 300 });
  });

  it('rejects a corrupted checksum: any single changed byte', () => {
    const edid = buildEdid({ width: 1024, height: 768 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = edid.slice();
        bad[at]! ^= xor;
        expect(() => parseEdid(bad)).toThrow(ProtocolError);
      }),
    );
    const bad = edid.slice();
    bad[127]! ^= 1;
    expectProtocolError(() => parseEdid(bad), 'EINVAL', /checksum/);
  });

  it('rejects a bad header, version, missing timing, short input and a bad extension block', () => {
    const edid = buildEdid({ width: 1024, height: 768 });
    const header = edid.slice();
    header[3] = 0;
    fixChecksum(header);
    expectProtocolError(() => parseEdid(header), 'EINVAL', /header/);
    const version = edid.slice();
    version[18] = 2;
    fixChecksum(version);
    expectProtocolError(() => parseEdid(version), 'EINVAL', /version/);
    const noTiming = edid.slice();
    noTiming[54] = noTiming[55] = 0;
    fixChecksum(noTiming);
    expectProtocolError(() => parseEdid(noTiming), 'EINVAL', /no detailed timing/);
    expectProtocolError(() => parseEdid(edid.subarray(0, 127)), 'EINVAL', /shorter/);

    const withExt = new Uint8Array(256);
    withExt.set(edid);
    withExt[126] = 1;
    fixChecksum(withExt);
    withExt[128] = 0x02; // CTA extension tag, checksum wrong
    expectProtocolError(() => parseEdid(withExt), 'EINVAL', /block 1 checksum/);
    withExt[255] = (256 - sum(withExt.subarray(128, 255))) & 0xff;
    expect(parseEdid(withExt).preferred.width).toBe(1024);
    expect(parseEdid(withExt.subarray(0, 128)).preferred.width).toBe(1024); // extension not present: base only
  });

  it('refuses options it cannot encode', () => {
    expectProtocolError(() => buildEdid({ width: 4096, height: 480 }), 'EINVAL', /width/);
    expectProtocolError(() => buildEdid({ width: 4095, height: 4095, refresh: 240 }), 'EINVAL', /does not fit/);
    expectProtocolError(() => buildEdid({ width: 640, height: 480, manufacturer: 'pvd' }), 'EINVAL', /manufacturer/);
    expectProtocolError(() => buildEdid({ width: 640, height: 480, name: 'fourteen-chars' }), 'EINVAL', /monitor name/);
    expectProtocolError(() => buildEdid({ width: 640, height: 480, year: 2005 }), 'EINVAL', /year/);
    expectProtocolError(() => buildEdid({ width: 640, height: 480, dpi: 0 }), 'EINVAL', /dpi/);
  });
});
