// `pvdisplay info` as DRM people read it: modetest's layout (objects by id, modes indexed as `modetest -s` takes
// them, with refresh to two decimals and flags and types by name) with drm_info's detail (caps spelled as the
// kernel does, property kinds and allowed values, EDID and IN_FORMATS decoded), plus pvdisplay's own figures
// (link-status, frame-done and fence timeouts).
import { fourccToString } from '../../protocol/formats.js';
import { decodeInFormats, decodeModeInfo } from '../../protocol/kms/blobs.js';
import { parseEdid } from '../../protocol/edid.js';
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

/** enum, bitmask, range, signed range, blob or object, as drm_info names them. */
function kindOf(flags: number): string {
  if ((flags & PROP.SIGNED_RANGE) === PROP.SIGNED_RANGE) return 'signed range';
  if (flags & PROP.OBJECT) return 'object';
  if (flags & PROP.RANGE) return 'range';
  if (flags & PROP.ENUM) return 'enum';
  if (flags & PROP.BITMASK) return 'bitmask';
  if (flags & PROP.BLOB) return 'blob';
  return 'unknown';
}

/** A blob as a person wants it: EDID, IN_FORMATS and MODE_ID decoded, anything else by its size. */
function blobText(p: PropView): string {
  const bytes = p.blob ?? new Uint8Array();
  const head = `blob ${p.value} (${bytes.length} bytes)`;
  try {
    if (p.name === 'EDID') {
      const e = parseEdid(bytes);
      const m = e.preferred;
      return `${head}: ${e.manufacturer} product 0x${e.productCode.toString(16).padStart(4, '0')} serial 0x${e.serial.toString(16).padStart(8, '0')} "${e.name ?? ''}", ${e.widthMm}x${e.heightMm} mm, made ${e.year} week ${e.week}, preferred ${m.width}x${m.height} ${m.refresh} Hz at ${m.clock} kHz`;
    }
    if (p.name === 'IN_FORMATS') {
      const f = decodeInFormats(bytes);
      if (f) return `${head}: ${f.modifiers.map((m) => `${m.modifier === 0n ? 'LINEAR' : `0x${m.modifier.toString(16)}`} × ${m.formats.map(fourccToString).join(' ')}`).join('; ')}`;
    }
    if (p.name === 'MODE_ID') {
      const m = decodeModeInfo(bytes);
      if (m) return `${head}: ${m.name} ${m.vrefresh} Hz`;
    }
  } catch {
    // undecodable: the size says what there is
  }
  return head;
}

function propLines(props: PropView[], indent: string): string[] {
  return props.map((p) => {
    const kind = kindOf(p.flags);
    const names = p.enums.map((e) => e.name).join(', ');
    const allowed = names ? ` {${names}}` : kind.endsWith('range') ? ` [${p.values[0]}, ${p.values[1]}]` : '';
    let shown = String(p.value);
    if (kind === 'enum') shown = p.enums.find((e) => e.value === p.value)?.name ?? shown;
    else if (kind === 'bitmask') shown = p.enums.filter((e) => (p.value >>> e.value) & 1).map((e) => e.name).join(' | ') || '0';
    else if (kind === 'blob' && p.value !== 0) shown = blobText(p);
    const traits = [kind + allowed, p.flags & PROP.IMMUTABLE ? 'immutable' : '', p.flags & PROP.ATOMIC ? 'atomic' : ''].filter(Boolean).join(', ');
    return `${indent}${p.id} ${p.name}: ${traits} = ${shown}`;
  });
}

export function infoText(path: string, info: DeviceInfo): string {
  const out: string[] = [];
  const w = (s: string) => out.push(s);
  w(`${path}: ${info.version.name} ${info.version.major}.${info.version.minor}.${info.version.patch} — ${info.version.desc}`);
  w(`  size limits ${info.resources.min_width}x${info.resources.min_height} .. ${info.resources.max_width}x${info.resources.max_height}`);
  w('  caps:');
  for (const [k, v] of Object.entries(info.caps)) w(`    DRM_CAP_${k} = ${v ?? 'EINVAL'}`);
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
