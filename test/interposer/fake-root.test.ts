// The fake /dev/dri + sysfs tree `pvdisplay run` lays out (cli/run/fake-root.ts), walked the way libdrm's
// xf86drm.c walks the real one once the interposer has prefixed the paths: drmNodeIsDRM, drmParseSubsystemType,
// drmParseOFBusInfo / drmParseOFDeviceInfo, drmGetMinorNameForFD, drmGetDeviceNameFromFd2, process_device.
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createFakeRoot, removeFakeRoot } from '../../cli/run/fake-root.js';
import { ROOT } from '../../cli/processes.js';
import { drmProgramsWanted } from '../helpers/drm-programs.js';

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

  // The real libdrm (Debian's libdrm-dev) walking the tree: in a private mount namespace the tree is mounted as /sys
  // and /dev/dri/card0 is a real 226:0 node, exactly the view the interposer's path redirect gives a program.
  it.skipIf(!drmProgramsWanted || process.getuid?.() !== 0)("libdrm's drmGetDevices2 finds one platform device with its OF name and compatible", () => {
    const root = createFakeRoot(parent, [0]);
    const probe = join(parent, 'libdrm-discovery');
    const cflags = execFileSync('pkg-config', ['--cflags', '--libs', 'libdrm'], { encoding: 'utf8' }).trim().split(/\s+/);
    execFileSync('cc', ['-Wall', '-Wextra', '-o', probe, join(ROOT, 'test/interposer/fixtures/libdrm-discovery.c'), ...cflags]);
    const script = `mount -t tmpfs none /sys && cp -a "$1/sys/." /sys/ && mount -t tmpfs none /dev && mkdir /dev/dri && mknod /dev/dri/card0 c 226 0 && exec "$2"`;
    const out = execFileSync('unshare', ['-m', 'sh', '-c', script, 'sh', root, probe], { encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['devices 1', 'bus 2 nodes 0x1 primary /dev/dri/card0', 'fullname /pvdisplay@0', 'compatible pvdisplay,displif']);
    removeFakeRoot(root);
  });
});
