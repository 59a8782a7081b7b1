// XenBus states, store paths and value formats, version choice and feature keys.
import { describe, expect, it } from 'vitest';
import { XenbusState, parseState, stateName } from '../../protocol/bus/xenbus-state.js';
import {
  backendDir,
  connectorKey,
  formatResolution,
  formatVersions,
  frontendDir,
  parseBeAlloc,
  parseResolution,
  parseStoreUint,
  parseVersions,
  readUnsignedLikeLinux,
} from '../../protocol/bus/store-keys.js';
import { OFFERED_VERSIONS, chooseVersion, featureKey } from '../../protocol/version.js';
import { expectProtocolError } from './expect-error.js';

describe('XenBus states', () => {
  it('names every state and parses strictly', () => {
    expect(Object.values(XenbusState)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(stateName)).toEqual([
      'Unknown', 'Initialising', 'InitWait', 'Initialised', 'Connected', 'Closing', 'Closed', 'Reconfiguring', 'Reconfigured',
    ]);
    expect(stateName(9)).toBe('Invalid(9)');
    expect(stateName(-1)).toBe('Invalid(-1)');
    expect(parseState('4')).toBe(XenbusState.Connected);
    for (const junk of ['9', '', '4 ', ' 4', '-1', '4.0', 'four']) expectProtocolError(() => parseState(junk), 'EINVAL');
  });
});

describe('store keys', () => {
  it('builds the directories and connector keys', () => {
    expect(frontendDir(5, 0)).toBe('/local/domain/5/device/vdispl/0');
    expect(backendDir(0, 5, 3)).toBe('/local/domain/0/backend/vdispl/5/3');
    expect(connectorKey(0, 'resolution')).toBe('0/resolution');
    expect(connectorKey(3, 'evt-event-channel')).toBe('3/evt-event-channel');
    expectProtocolError(() => frontendDir(65536, 0), 'EINVAL');
    expectProtocolError(() => backendDir(0, 1, -1), 'EINVAL');
    expectProtocolError(() => connectorKey(256, 'req-ring-ref'), 'EINVAL');
  });

  it('parses decimal uint32 strictly', () => {
    expect(parseStoreUint('0')).toBe(0);
    expect(parseStoreUint('4294967295')).toBe(0xffffffff);
    for (const junk of ['', ' 1', '1 ', '+1', '-1', '0x10', '1e3', '4294967296', '1.0', '١']) expectProtocolError(() => parseStoreUint(junk), 'EINVAL');
  });

  it('parses and formats resolutions strictly', () => {
    expect(parseResolution('1920x1080')).toEqual({ width: 1920, height: 1080 });
    expect(parseResolution('0x0')).toEqual({ width: 0, height: 0 });
    expect(formatResolution({ width: 800, height: 600 })).toBe('800x600');
    for (const junk of ['', 'x', '1920x', 'x1080', '1920x1080x', ' 1920x1080', '1920 x1080', '1920X1080', '-1x5', '1920x1080\n', '4294967296x1', '19a0x1080']) {
      expectProtocolError(() => parseResolution(junk), 'EINVAL');
    }
    expectProtocolError(() => formatResolution({ width: -1, height: 1 }), 'EINVAL');
  });

  it('parses and formats the versions list', () => {
    expect(parseVersions('1,2')).toEqual([1, 2]);
    expect(parseVersions('2')).toEqual([2]);
    expect(parseVersions('')).toEqual([]);
    expect(parseVersions('3,1')).toEqual([3, 1]);
    for (const junk of ['1,', ',2', '1,,2', '1, 2', 'v1', '1;2']) expectProtocolError(() => parseVersions(junk), 'EINVAL');
    expect(formatVersions(OFFERED_VERSIONS)).toBe('1,2');
  });

  it('reads be-alloc the way Linux does (unsigned, default 0, non-zero = on)', () => {
    const cases: [string | undefined, number][] = [
      [undefined, 0], ['', 0], ['0', 0], ['1', 1], ['2', 2], [' 1', 1], ['\t7', 7], ['1abc', 1], ['abc', 0], ['-1', 0], ['+1', 0],
      ['4294967295', 0xffffffff], ['4294967296', 0], ['4294967297', 1],
    ];
    for (const [value, n] of cases) {
      expect(readUnsignedLikeLinux(value)).toBe(n);
      expect(parseBeAlloc(value)).toBe(n !== 0);
    }
    expect(readUnsignedLikeLinux('x', 7)).toBe(7);
  });
});

describe('versions', () => {
  it('offers 1 and 2 and chooses the highest common version it speaks', () => {
    expect(OFFERED_VERSIONS).toEqual([1, 2]);
    expect(chooseVersion([1, 2])).toBe(2);
    expect(chooseVersion([2, 1], [1, 2])).toBe(2);
    expect(chooseVersion([1])).toBe(1);
    expect(chooseVersion([1, 2], [1])).toBe(1);
    expect(chooseVersion([3])).toBeUndefined();
    expect(chooseVersion([2, 3], [2, 3])).toBe(2);
    expect(chooseVersion([])).toBeUndefined();
    expect(chooseVersion([1], [2])).toBeUndefined();
  });

  it('names feature keys', () => {
    expect(featureKey('hotplug')).toBe('feature-hotplug');
    expect(featureKey('damage-rects')).toBe('feature-damage-rects');
    for (const bad of ['', 'Hotplug', 'a b', '-x', 'x-', 'a,b', 'a/b']) expectProtocolError(() => featureKey(bad), 'EINVAL');
  });
});
