// The fake /dev/dri and sysfs that `pvdisplay run` lays out for a program, so that libdrm's drmGetDevice2 /
// drmGetDevices2 / drmOpen(name) and libudev find the card as a platform device (the bus type that needs the
// fewest files). The LD_PRELOAD interposer redirects /dev/dri, /sys/dev/char/226:, /sys/class/drm and
// /sys/devices/pvdisplay into this tree ($PVDISPLAY_FAKE_ROOT); symlinks are relative so they resolve inside it.
//
//   dev/dri/cardN                                   empty placeholder: opening it connects to the card socket
//   sys/dev/char/226:N -> ../../devices/pvdisplay/pvdisplay.N/drm/cardN
//   sys/class/drm/cardN -> ../../devices/pvdisplay/pvdisplay.N/drm/cardN
//   sys/class/drm/version                           "drm 1.1.0 20060810", as the kernel's
//   sys/devices/pvdisplay/pvdisplay.N/              the platform device: uevent (OF_FULLNAME, OF_COMPATIBLE_*,
//       subsystem -> ../../../bus/platform          MODALIAS), driver, subsystem, drm/
//       driver -> ../../../bus/platform/drivers/pvdisplay
//       drm/cardN/                                  the DRM minor: uevent (MAJOR, MINOR, DEVNAME, DEVTYPE), dev,
//           device -> ../../../pvdisplay.N          device, subsystem
//           subsystem -> ../../../../../class/drm
//   sys/bus/platform/drivers/pvdisplay/             what the links above point at
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The DRM character-device major (drm.h's DRM_MAJOR on Linux). */
export const DRM_MAJOR = 226;

/** The platform device's devicetree `compatible`, which libdrm reports (drmGetDevice2's platform info). */
export const PLATFORM_COMPATIBLE = 'pvdisplay,displif';

function file(root: string, path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

function link(root: string, path: string, target: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  symlinkSync(target, join(root, path));
}

/** Lays out the tree for the given card numbers in a fresh directory under `parent`; returns its path. */
export function createFakeRoot(parent: string, cards: number[]): string {
  const root = mkdtempSync(join(parent, 'run-'));
  file(root, 'sys/class/drm/version', 'drm 1.1.0 20060810\n');
  mkdirSync(join(root, 'sys/bus/platform/drivers/pvdisplay'), { recursive: true });
  mkdirSync(join(root, 'dev/dri'), { recursive: true });
  for (const n of cards) {
    const dev = `sys/devices/pvdisplay/pvdisplay.${n}`;
    const minor = `${dev}/drm/card${n}`;
    file(root, `dev/dri/card${n}`, '');
    file(
      root,
      `${dev}/uevent`,
      ['DRIVER=pvdisplay', `OF_NAME=pvdisplay`, `OF_FULLNAME=/pvdisplay@${n}`, `OF_COMPATIBLE_0=${PLATFORM_COMPATIBLE}`, 'OF_COMPATIBLE_N=1', `MODALIAS=of:NpvdisplayT(null)C${PLATFORM_COMPATIBLE}`, ''].join('\n'),
    );
    link(root, `${dev}/subsystem`, '../../../bus/platform');
    link(root, `${dev}/driver`, '../../../bus/platform/drivers/pvdisplay');
    file(root, `${minor}/uevent`, [`MAJOR=${DRM_MAJOR}`, `MINOR=${n}`, `DEVNAME=dri/card${n}`, 'DEVTYPE=drm_minor', ''].join('\n'));
    file(root, `${minor}/dev`, `${DRM_MAJOR}:${n}\n`);
    link(root, `${minor}/device`, `../../../pvdisplay.${n}`);
    link(root, `${minor}/subsystem`, '../../../../../class/drm');
    link(root, `sys/dev/char/${DRM_MAJOR}:${n}`, `../../devices/pvdisplay/pvdisplay.${n}/drm/card${n}`);
    link(root, `sys/class/drm/card${n}`, `../../devices/pvdisplay/pvdisplay.${n}/drm/card${n}`);
  }
  return root;
}

export function removeFakeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
