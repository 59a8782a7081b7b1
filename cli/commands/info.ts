// `pvdisplay info`: the device's connectors, modes, encoders, CRTCs, planes and formats, like modetest.
import type { Command } from 'commander';
import { join } from 'node:path';
import { Card } from '../../frontend/client/card.js';
import { DRM_CAP } from '../../protocol/kms/constants.js';
import { fourccToString } from '../../protocol/formats.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import { defaultRuntimeDir, parseIntOption, waitForPath } from '../runtime.js';

async function gather(card: Card): Promise<Record<string, unknown>> {
  const version = await card.call('VERSION', {});
  const res = await card.call('MODE_GETRESOURCES', {});
  const connectors = await Promise.all(res.connectors.map((id) => card.call('MODE_GETCONNECTOR', { connector_id: id })));
  const encoders = await Promise.all(res.encoders.map((id) => card.call('MODE_GETENCODER', { encoder_id: id })));
  const crtcs = await Promise.all(res.crtcs.map((id) => card.call('MODE_GETCRTC', { crtc_id: id })));
  const planeIds = (await card.call('MODE_GETPLANERESOURCES', {})).planes;
  const planes = await Promise.all(planeIds.map((id) => card.call('MODE_GETPLANE', { plane_id: id })));
  const caps: Record<string, number> = {};
  for (const [name, cap] of Object.entries(DRM_CAP)) {
    caps[name] = await card.call('GET_CAP', { capability: cap }).then((r) => r.value, () => -1);
  }
  return { version, resources: res, caps, connectors, encoders, crtcs, planes };
}

function modeLine(m: ModeInfo): string {
  return `${m.name} ${m.vrefresh} Hz  clock ${m.clock} kHz  h ${m.hdisplay} ${m.hsync_start} ${m.hsync_end} ${m.htotal}  v ${m.vdisplay} ${m.vsync_start} ${m.vsync_end} ${m.vtotal}  flags 0x${m.flags.toString(16)} type 0x${m.type.toString(16)}`;
}

export function register(program: Command): void {
  program
    .command('info')
    .description("print the device's connectors, modes, encoders, CRTCs, planes and formats")
    .option('--runtime-dir <dir>', 'where dri/ is', defaultRuntimeDir())
    .option('--card <name>', 'device node in dri/', 'card0')
    .option('--json', 'print JSON for scripts')
    .option('--wait <ms>', 'how long to wait for the device node to appear', '0')
    .action(async (o: { runtimeDir: string; card: string; json?: boolean; wait: string }) => {
      const path = join(o.runtimeDir, 'dri', o.card);
      await waitForPath(path, parseIntOption(o.wait, '--wait'), 'frontend');
      const card = Card.open(path);
      const info = (await gather(card)) as Awaited<ReturnType<typeof gather>> & {
        version: { name: string; desc: string; major: number; minor: number };
        resources: { min_width: number; max_width: number; min_height: number; max_height: number };
        caps: Record<string, number>;
        connectors: { connector_id: number; connection: number; connector_type_id: number; mm_width: number; mm_height: number; encoders: number[]; modes: ModeInfo[] }[];
        encoders: { encoder_id: number; crtc_id: number; possible_crtcs: number }[];
        crtcs: { crtc_id: number; fb_id: number; x: number; y: number; mode: ModeInfo | null }[];
        planes: { plane_id: number; crtc_id: number; fb_id: number; possible_crtcs: number; format_types: number[] }[];
      };
      card.close();
      if (o.json) {
        process.stdout.write(JSON.stringify({ device: path, ...info }, null, 2) + '\n');
        return;
      }
      const w = (s: string) => process.stdout.write(s + '\n');
      w(`${path}: ${info.version.name} ${info.version.major}.${info.version.minor} — ${info.version.desc}`);
      w(`  size limits ${info.resources.min_width}x${info.resources.min_height} .. ${info.resources.max_width}x${info.resources.max_height}`);
      w(`  caps ${Object.entries(info.caps).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      w('Connectors:');
      for (const c of info.connectors) {
        w(`  ${c.connector_id}  Virtual-${c.connector_type_id}  ${c.connection === 1 ? 'connected' : 'disconnected'}  ${c.mm_width}x${c.mm_height} mm  encoders [${c.encoders.join(', ')}]`);
        for (const m of c.modes) w(`      ${modeLine(m)}`);
      }
      w('Encoders:');
      for (const e of info.encoders) w(`  ${e.encoder_id}  Virtual  crtc ${e.crtc_id}  possible_crtcs 0x${e.possible_crtcs.toString(16)}`);
      w('CRTCs:');
      for (const c of info.crtcs) w(`  ${c.crtc_id}  fb ${c.fb_id}  (${c.x},${c.y})  ${c.mode ? modeLine(c.mode) : 'off'}`);
      w('Planes:');
      for (const p of info.planes) {
        w(`  ${p.plane_id}  primary  crtc ${p.crtc_id}  fb ${p.fb_id}  possible_crtcs 0x${p.possible_crtcs.toString(16)}`);
        w(`      formats: ${p.format_types.map(fourccToString).join(' ')}`);
      }
    });
}
