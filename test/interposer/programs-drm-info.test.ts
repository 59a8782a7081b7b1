// `pvdisplay run -- drm_info -j`: Debian's drm_info finds the card through libdrm's device discovery (the fake
// sysfs) and reads every object and property through the interposer. `pvdisplay info --json` follows drm_info's
// schema: apart from its "pvdisplay" keys (which drm_info never writes) it is the same JSON, key for key and value
// for value, on an idle device and on one that shows a framebuffer (FB_ID's fb, MODE_ID's mode, SRC_* data).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startPair, type Pair } from '../../cli/processes.js';
import { drmProgramsWanted, runToEnd, killLeftovers } from '../helpers/drm-programs.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON with every "pvdisplay" key taken out, and what those keys held. */
function withoutExtras(v: Json, extras: Json[] = []): Json {
  if (Array.isArray(v)) return v.map((x) => withoutExtras(x, extras));
  if (v === null || typeof v !== 'object') return v;
  if ('pvdisplay' in v) extras.push(v.pvdisplay!);
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'pvdisplay').map(([k, x]) => [k, withoutExtras(x, extras)]));
}

async function infoJson(pair: Pair): Promise<string> {
  const p = run(['info', '--runtime-dir', pair.dir, '--json']);
  expect((await p.exited()).code).toBe(0);
  return p.stdout.join('\n');
}

async function drmInfoJson(pair: Pair): Promise<string> {
  const r = await runToEnd(pair, ['drm_info', '-j']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(!drmProgramsWanted)('drm_info under pvdisplay run', () => {
  let pair: Pair;
  beforeAll(async () => (pair = await startPair({ connectors: '640x480,800x600' })));
  afterAll(async () => {
    killLeftovers();
    await pair?.stop();
  });

  it('drm_info -j finds /dev/dri/card0, a platform device of driver pvdisplay', async () => {
    const all = JSON.parse(await drmInfoJson(pair)) as { [path: string]: { driver: { name: string }; device: { bus_type: number }; connectors: { subpixel: number }[] } };
    expect(Object.keys(all)).toEqual(['/dev/dri/card0']);
    expect(all['/dev/dri/card0']!.driver.name).toBe('pvdisplay');
    expect(all['/dev/dri/card0']!.device.bus_type).toBe(2); // DRM_BUS_PLATFORM
    // A virtual sink's subpixel order is unknown: libdrm's DRM_MODE_SUBPIXEL_UNKNOWN (1), from the kernel's 0.
    expect(all['/dev/dri/card0']!.connectors.map((c) => c.subpixel)).toEqual([1, 1]);
  });

  const same = async (): Promise<Json[]> => {
    const theirs = await drmInfoJson(pair);
    const mine = await infoJson(pair);
    const d = (JSON.parse(theirs) as Record<string, Json>)['/dev/dri/card0']!;
    const all = JSON.parse(mine) as Record<string, Json>;
    expect(Object.keys(all)).toEqual([pair.card]);
    const extras: Json[] = [];
    expect(withoutExtras(all[pair.card]!, extras)).toEqual(d);
    // u64s as drm_info writes them (IN_FENCE_FD's raw_value is -1 as a u64), not rounded to a double.
    expect(theirs).toMatch(/"raw_value": ?18446744073709551615/);
    expect(mine).toMatch(/"raw_value": 18446744073709551615/);
    return extras;
  };

  it('info --json equals drm_info -j on an idle device, with pvdisplay\'s figures apart', async () => {
    const extras = await same();
    expect(extras).toEqual([
      { unplugged: false, caps: { ATOMIC_ASYNC_PAGE_FLIP: 0 } },
      { name: 'Virtual-1', link_status: 'Good', edid: expect.objectContaining({ manufacturer: 'PVD', preferred: expect.objectContaining({ width: 640, height: 480 }) }) },
      { name: 'Virtual-2', link_status: 'Good', edid: expect.objectContaining({ manufacturer: 'PVD', preferred: expect.objectContaining({ width: 800, height: 600 }) }) },
      { frame_done_timeouts: 0, fence_timeouts: 0, pending_vblank_waits: 0 },
      { frame_done_timeouts: 0, fence_timeouts: 0, pending_vblank_waits: 0 },
    ]);
  });

  it('info --json equals drm_info -j while a framebuffer is shown', async () => {
    const pattern = run(['pattern', '--runtime-dir', pair.dir, '--frames', '2', '--hold']);
    try {
      await pattern.waitLine(/done: 2 frames/);
      await same();
      const dev = (JSON.parse(await infoJson(pair)) as Record<string, { planes: { fb: { width: number } | null; properties: { FB_ID: { data: unknown } } }[]; crtcs: { mode: { name: string } | null }[] }>)[pair.card]!;
      expect(dev.planes[0]!.fb).toMatchObject({ width: 640, height: 480, planes: [{ offset: 0, pitch: 2560 }] });
      expect(dev.planes[0]!.properties.FB_ID.data).toEqual(dev.planes[0]!.fb);
      expect(dev.crtcs[0]!.mode).toMatchObject({ name: '640x480' });
    } finally {
      await pattern.stop();
    }
  });
});
