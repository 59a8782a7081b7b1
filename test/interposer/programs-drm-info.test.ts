// `pvdisplay run -- drm_info -j`: Debian's drm_info finds the card through libdrm's device discovery (the fake
// sysfs) and reads every object and property through the interposer; what it prints equals `pvdisplay info --json`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startPair, type Pair } from '../../cli/processes.js';
import { drmProgramsWanted, runToEnd, killLeftovers } from '../helpers/drm-programs.js';

interface InfoProp {
  id: number;
  name: string;
  value: number;
}
interface Info {
  connectors: { connector_id: number; connector_type: number; connection: number; encoder_id: number; encoders: number[]; mm_width: number; mm_height: number; modes: { name: string }[]; properties: InfoProp[] }[];
  encoders: { encoder_id: number; encoder_type: number; crtc_id: number; possible_crtcs: number }[];
  crtcs: { crtc_id: number; fb_id: number; gamma_size: number; properties: InfoProp[] }[];
  planes: { plane_id: number; crtc_id: number; fb_id: number; possible_crtcs: number; format_types: number[]; properties: InfoProp[] }[];
}
type DrmInfoProps = Record<string, { id: number; raw_value: number }>;
interface DrmInfoDevice {
  driver: { name: string };
  device: { bus_type: number };
  connectors: { id: number; type: number; status: number; encoder_id: number; encoders: number[]; phy_width: number; phy_height: number; modes: { name: string }[]; properties: DrmInfoProps }[];
  encoders: { id: number; type: number; crtc_id: number; possible_crtcs: number }[];
  crtcs: { id: number; fb_id: number; gamma_size: number; properties: DrmInfoProps }[];
  planes: { id: number; crtc_id: number; fb_id: number; possible_crtcs: number; formats: number[]; properties: DrmInfoProps }[];
}

// drm_info prints raw values as u64: a signed -1 (IN_FENCE_FD) is 2^64 - 1, which JSON.parse rounds as we do here.
const props = (list: InfoProp[]) => Object.fromEntries(list.map((p) => [p.name, { id: p.id, value: p.value < 0 ? 2 ** 64 + p.value : p.value }]));
const dprops = (o: DrmInfoProps) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { id: v.id, value: v.raw_value }]));

async function info(pair: Pair): Promise<Info> {
  const p = run(['info', '--runtime-dir', pair.dir, '--json']);
  const out: string[] = [];
  p.child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  expect((await p.exited()).code).toBe(0);
  return JSON.parse(out.join('')) as Info;
}

describe.skipIf(!drmProgramsWanted)('drm_info under pvdisplay run', () => {
  let pair: Pair;
  beforeAll(async () => (pair = await startPair({ connectors: '640x480,800x600' })));
  afterAll(async () => {
    killLeftovers();
    await pair?.stop();
  });

  it('drm_info -j finds /dev/dri/card0 (a platform device, driver pvdisplay) and shows what pvdisplay info shows', async () => {
    const r = await runToEnd(pair, ['drm_info', '-j']);
    expect(r.code, r.stderr).toBe(0);
    const all = JSON.parse(r.stdout) as Record<string, DrmInfoDevice>;
    expect(Object.keys(all)).toEqual(['/dev/dri/card0']);
    const d = all['/dev/dri/card0']!;
    expect(d.driver.name).toBe('pvdisplay');
    expect(d.device.bus_type).toBe(2); // DRM_BUS_PLATFORM
    const mine = await info(pair);
    expect(d.connectors.map((c) => ({ id: c.id, type: c.type, status: c.status, encoder_id: c.encoder_id, encoders: c.encoders, mm: [c.phy_width, c.phy_height], modes: c.modes.map((m) => m.name), props: dprops(c.properties) }))).toEqual(
      mine.connectors.map((c) => ({ id: c.connector_id, type: c.connector_type, status: c.connection, encoder_id: c.encoder_id, encoders: c.encoders, mm: [c.mm_width, c.mm_height], modes: c.modes.map((m) => m.name), props: props(c.properties) })),
    );
    expect(d.encoders.map((e) => ({ id: e.id, type: e.type, crtc_id: e.crtc_id, possible_crtcs: e.possible_crtcs }))).toEqual(
      mine.encoders.map((e) => ({ id: e.encoder_id, type: e.encoder_type, crtc_id: e.crtc_id, possible_crtcs: e.possible_crtcs })),
    );
    expect(d.crtcs.map((c) => ({ id: c.id, fb_id: c.fb_id, gamma_size: c.gamma_size, props: dprops(c.properties) }))).toEqual(
      mine.crtcs.map((c) => ({ id: c.crtc_id, fb_id: c.fb_id, gamma_size: c.gamma_size, props: props(c.properties) })),
    );
    expect(d.planes.map((p) => ({ id: p.id, crtc_id: p.crtc_id, fb_id: p.fb_id, possible_crtcs: p.possible_crtcs, formats: p.formats, props: dprops(p.properties) }))).toEqual(
      mine.planes.map((p) => ({ id: p.plane_id, crtc_id: p.crtc_id, fb_id: p.fb_id, possible_crtcs: p.possible_crtcs, formats: p.format_types, props: props(p.properties) })),
    );
  });
});
