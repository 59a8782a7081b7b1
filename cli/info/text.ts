// `pvdisplay info` as DRM people read it: modetest's layout (objects by id, modes indexed as `modetest -s` takes
// them, with refresh to two decimals and flags and types by name) with drm_info's detail (caps spelled as the
// kernel does, property kinds and allowed values, EDID and IN_FORMATS decoded), plus pvdisplay's own figures
// (link-status, frame-done and fence timeouts).
import { fourccToString } from '../../protocol/formats.js';
import { MODE_FLAG, MODE_TYPE, PROP } from '../../protocol/kms/constants.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import type { DeviceInfo, PropView } from './gather.js';

const FLAG_NAMES: [number, string][] = [[MODE_FLAG.PHSYNC, 'phsync'], [MODE_FLAG.NHSYNC, 'nhsync'], [MODE_FLAG.PVSYNC, 'pvsync'], [MODE_FLAG.NVSYNC, 'nvsync']];
const TYPE_NAMES: [number, string][] = [[MODE_TYPE.PREFERRED, 'preferred'], [MODE_TYPE.USERDEF, 'userdef'], [MODE_TYPE.DRIVER, 'driver']];

const names = (bits: number, table: [number, string][]) => table.filter(([b]) => bits & b).map(([, n]) => n).join(', ') || 'none';

export function modeLine(m: ModeInfo, index?: number): string {
  const hz = (m.clock * 1000) / (m.htotal * m.vtotal);
  const at = index === undefined ? '' : `#${index} `;
  return `${at}${m.name} ${hz.toFixed(2)} Hz  clock ${m.clock} kHz  h ${m.hdisplay} ${m.hsync_start} ${m.hsync_end} ${m.htotal}  v ${m.vdisplay} ${m.vsync_start} ${m.vsync_end} ${m.vtotal}  flags ${names(m.flags, FLAG_NAMES)}; type ${names(m.type, TYPE_NAMES)}`;
}

function propLines(props: PropView[], indent: string): string[] {
  return props.map((p) => {
    const allowed = !p.allowed ? '' : p.kind.endsWith('range') ? ` ${p.allowed}` : ` {${p.allowed}}`;
    const traits = [p.kind + allowed, p.flags & PROP.IMMUTABLE ? 'immutable' : '', p.flags & PROP.ATOMIC ? 'atomic' : ''].filter(Boolean).join(', ');
    return `${indent}${p.id} ${p.name}: ${traits} = ${p.shown}`;
  });
}

export function infoText(path: string, info: DeviceInfo): string {
  const out: string[] = [];
  const w = (s: string) => out.push(s);
  w(`${path}: ${info.version.name} ${info.version.major}.${info.version.minor}.${info.version.patch} — ${info.version.desc}`);
  w(`  size limits ${info.resources.min_width}x${info.resources.min_height} .. ${info.resources.max_width}x${info.resources.max_height}`);
  w('  caps:');
  for (const [k, v] of Object.entries(info.caps)) w(`    DRM_CAP_${k} = ${v < 0 ? 'EINVAL' : v}`);
  w(`  client caps: ${Object.entries(info.clientCaps).map(([k, ok]) => `DRM_CLIENT_CAP_${k} ${ok ? 'supported' : 'not supported'}`).join(', ')}`);
  w('Connectors:');
  w('  id  encoder  status  name  size (mm)  modes  encoders');
  for (const c of info.connectors) {
    w(`  ${c.connector_id}  ${c.encoder_id}  ${c.connection === 1 ? 'connected' : 'disconnected'}  Virtual-${c.connector_type_id}  ${c.mm_width}x${c.mm_height}  ${c.modes.length}  ${c.encoders.join(', ')}`);
    c.modes.forEach((m, i) => w(`    mode ${modeLine(m, i)}`));
    w('    props:');
    out.push(...propLines(c.properties, '      '));
  }
  w('Encoders:');
  w('  id  crtc  type  possible crtcs  possible clones');
  for (const e of info.encoders) w(`  ${e.encoder_id}  ${e.crtc_id}  Virtual  0x${e.possible_crtcs.toString(16)}  0x${e.possible_clones.toString(16)}`);
  w('CRTCs:');
  w('  id  fb  pos  mode');
  for (const c of info.crtcs) {
    const st = info.status.crtcs.find((s) => s.crtc_id === c.crtc_id);
    w(`  ${c.crtc_id}  ${c.fb_id}  (${c.x},${c.y})  ${c.mode ? modeLine(c.mode) : 'off'}`);
    w(`    gamma size ${c.gamma_size}; frame-done timeouts ${st?.frame_done_timeouts ?? 0}; fence timeouts ${st?.fence_timeouts ?? 0}`);
    w('    props:');
    out.push(...propLines(c.properties, '      '));
  }
  w('Planes:');
  w('  id  crtc  fb  possible crtcs  type');
  for (const p of info.planes) {
    w(`  ${p.plane_id}  ${p.crtc_id}  ${p.fb_id}  0x${p.possible_crtcs.toString(16)}  primary`);
    w(`    formats: ${p.format_types.map(fourccToString).join(' ')}`);
    w('    props:');
    out.push(...propLines(p.properties, '      '));
  }
  return out.join('\n') + '\n';
}
