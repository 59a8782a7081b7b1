// The fake /dev/dri + sysfs tree `pvdisplay run` lays out (cli/run/fake-root.ts), walked the way libdrm's
// xf86drm.c walks the real one once the interposer has prefixed the paths: drmNodeIsDRM, drmParseSubsystemType,
// drmParseOFBusInfo / drmParseOFDeviceInfo, drmGetMinorNameForFD, drmGetDeviceNameFromFd2, process_device.
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFakeRoot, removeFakeRoot } from '../../cli/run/fake-root.js';

/** sysfs_uevent_get: the value of KEY= in DIR/uevent. */
function uevent(dir: string, key: string): string | undefined {
  return readFileSync(join(dir, 'uevent'), 'utf8').split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
}

describe('fake root', () => {
  const parent = mkdtempSync(join(tmpdir(), 'pvd-fake-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('card 3 is a DRM platform device as libdrm sees one; removing the tree leaves nothing', () => {
    const root = createFakeRoot(parent, [3]);
    const node = join(root, 'sys/dev/char/226:3');
    expect(statSync(join(node, 'device/drm')).isDirectory()).toBe(true);
    const subsystem = readlinkSync(join(node, 'device/subsystem'));
    expect(subsystem.slice(subsystem.lastIndexOf('/'))).toBe('/platform');
    expect(realpathSync(join(node, 'device/subsystem'))).toBe(join(root, 'sys/bus/platform'));
    expect(realpathSync(join(node, 'device'))).toBe(join(root, 'sys/devices/pvdisplay/pvdisplay.3'));
    expect(uevent(join(node, 'device'), 'OF_FULLNAME')).toBe('/pvdisplay@3');
    expect(uevent(join(node, 'device'), 'OF_COMPATIBLE_N')).toBe('1');
    expect(uevent(join(node, 'device'), 'OF_COMPATIBLE_0')).toBe('pvdisplay,displif');
    expect(uevent(node, 'DEVNAME')).toBe('dri/card3');
    expect(readFileSync(join(node, 'dev'), 'utf8')).toBe('226:3\n');
    expect(readdirSync(join(node, 'device/drm'))).toEqual(['card3']);
    expect(realpathSync(join(root, 'sys/class/drm/card3'))).toBe(realpathSync(node));
    expect(realpathSync(join(node, 'subsystem'))).toBe(join(root, 'sys/class/drm'));
    expect(readdirSync(join(root, 'dev/dri'))).toEqual(['card3']);
    // Every link is relative, so the tree means the same wherever it lies (and after the interposer's prefix).
    expect(readlinkSync(node).startsWith('/')).toBe(false);
    removeFakeRoot(root);
    expect(existsSync(root)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });
});
