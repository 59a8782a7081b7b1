// `pvdisplay info`: the whole device state like drm_info — driver, caps, every connector, encoder, CRTC and plane
// with each property (type, flags, value; enum names, blob sizes), the modes and the formats; --json for scripts.
import type { Command } from 'commander';
import { Card } from '../../frontend/client/card.js';
import { DRM_CAP, DRM_CLIENT_CAP, PROP } from '../../protocol/kms/constants.js';
import { fourccToString } from '../../protocol/formats.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import { defaultRuntimeDir, parseIntOption } from '../runtime.js';
import { resolveCard } from '../live-card.js';

interface PropView {
  id: number;
  name: string;
  flags: number;
  value: number;
  /** The enum name, or the blob's size, where that says more than the number. */
  shown: string;
}

async function propsOf(card: Card, objId: number): Promise<PropView[]> {
  const { props, prop_values } = await card.call('MODE_OBJ_GETPROPERTIES', { obj_id: objId, obj_type: 0 });
  return Promise.all(
    props.map(async (id, i) => {
      const p = await card.call('MODE_GETPROPERTY', { prop_id: id });
      const value = prop_values[i]!;
      let shown = String(value);
      if (p.flags & PROP.ENUM) shown = p.enums.find((e) => e.value === value)?.name ?? shown;
      else if (p.flags & PROP.BLOB && value !== 0) shown = `blob ${value} (${(await card.call('MODE_GETPROPBLOB', { blob_id: value, length: 0 })).length} bytes)`;
      return { id, name: p.name, flags: p.flags, value, shown };
    }),
  );
}

async function gather(card: Card) {
  await card.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 1 });
  const version = await card.call('VERSION', {});
  const res = await card.call('MODE_GETRESOURCES', {});
  const caps: Record<string, number> = {};
  for (const [name, cap] of Object.entries(DRM_CAP)) caps[name] = await card.call('GET_CAP', { capability: cap }).then((r) => r.value, () => -1);
  const withProps = async <T extends object>(info: T, id: number) => ({ ...info, properties: await propsOf(card, id) });
  const connectors = await Promise.all(res.connectors.map(async (id) => withProps(await card.call('MODE_GETCONNECTOR', { connector_id: id }), id)));
  const encoders = await Promise.all(res.encoders.map((id) => card.call('MODE_GETENCODER', { encoder_id: id })));
  const crtcs = await Promise.all(res.crtcs.map(async (id) => withProps(await card.call('MODE_GETCRTC', { crtc_id: id }), id)));
  const planeIds = (await card.call('MODE_GETPLANERESOURCES', {})).planes;
  const planes = await Promise.all(planeIds.map(async (id) => withProps(await card.call('MODE_GETPLANE', { plane_id: id }), id)));
  const status = await card.call('PVD_STATUS', {});
  return { version, resources: res, caps, connectors, encoders, crtcs, planes, status };
}

function modeLine(m: ModeInfo): string {
  return `${m.name} ${m.vrefresh} Hz  clock ${m.clock} kHz  h ${m.hdisplay} ${m.hsync_start} ${m.hsync_end} ${m.htotal}  v ${m.vdisplay} ${m.vsync_start} ${m.vsync_end} ${m.vtotal}  flags 0x${m.flags.toString(16)} type 0x${m.type.toString(16)}`;
}

function propLines(props: PropView[], indent: string): string[] {
  return props.map((p) => {
    const kinds = [p.flags & PROP.IMMUTABLE ? 'immutable' : '', p.flags & PROP.ATOMIC ? 'atomic' : ''].filter(Boolean).join(', ');
    return `${indent}"${p.name}" (${p.id}${kinds ? `, ${kinds}` : ''}) = ${p.shown}`;
  });
}

function print(path: string, info: Awaited<ReturnType<typeof gather>>): void {
  const out: string[] = [];
  const w = (s: string) => out.push(s);
  w(`${path}: ${info.version.name} ${info.version.major}.${info.version.minor}.${info.version.patch} — ${info.version.desc}`);
  w(`  size limits ${info.resources.min_width}x${info.resources.min_height} .. ${info.resources.max_width}x${info.resources.max_height}`);
  w(`  caps ${Object.entries(info.caps).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  w('Connectors:');
  for (const c of info.connectors) {
    w(`  ${c.connector_id}  Virtual-${c.connector_type_id}  ${c.connection === 1 ? 'connected' : 'disconnected'}  ${c.mm_width}x${c.mm_height} mm  encoders [${c.encoders.join(', ')}]`);
    for (const m of c.modes) w(`      mode ${modeLine(m)}`);
    out.push(...propLines(c.properties, '      '));
  }
  w('Encoders:');
  for (const e of info.encoders) w(`  ${e.encoder_id}  Virtual  crtc ${e.crtc_id}  possible_crtcs 0x${e.possible_crtcs.toString(16)}`);
  w('CRTCs:');
  for (const c of info.crtcs) {
    const st = info.status.crtcs.find((s) => s.crtc_id === c.crtc_id);
    w(`  ${c.crtc_id}  fb ${c.fb_id}  (${c.x},${c.y})  ${c.mode ? modeLine(c.mode) : 'off'}  frame-done timeouts ${st?.frame_done_timeouts ?? 0}  fence timeouts ${st?.fence_timeouts ?? 0}`);
    out.push(...propLines(c.properties, '      '));
  }
  w('Planes:');
  for (const p of info.planes) {
    w(`  ${p.plane_id}  primary  crtc ${p.crtc_id}  fb ${p.fb_id}  possible_crtcs 0x${p.possible_crtcs.toString(16)}`);
    w(`      formats: ${p.format_types.map(fourccToString).join(' ')}`);
    out.push(...propLines(p.properties, '      '));
  }
  process.stdout.write(out.join('\n') + '\n');
}

export function register(program: Command): void {
  program
    .command('info')
    .description("print the whole device state like drm_info: objects, properties and values, modes, formats")
    .option('--runtime-dir <dir>', 'where dri/ is', defaultRuntimeDir())
    .option('--card <name>', 'device node in dri/ (default: the frontend\'s live card, the highest cardN that serves)')
    .option('--json', 'print JSON for scripts')
    .option('--wait <ms>', 'how long to wait for the device node to appear', '0')
    .action(async (o: { runtimeDir: string; card?: string; json?: boolean; wait: string }) => {
      const path = await resolveCard(o.runtimeDir, o.card, parseIntOption(o.wait, '--wait'));
      const card = Card.open(path);
      try {
        const info = await gather(card);
        if (o.json) process.stdout.write(JSON.stringify({ device: path, ...info }, null, 2) + '\n');
        else print(path, info);
      } finally {
        card.close();
      }
    });
}
