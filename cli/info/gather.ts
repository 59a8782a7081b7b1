// What `pvdisplay info` reads from a device, through the same calls a libdrm client makes: driver, caps (and which
// client caps the device takes), resources, every connector / encoder / CRTC / plane with each property as
// GETPROPERTY describes it (kind, allowed values) and its value, with the blobs a person wants decoded (EDID,
// IN_FORMATS, MODE_ID).
import type { Card } from '../../frontend/client/card.js';
import { DRM_CAP, DRM_CLIENT_CAP, PROP } from '../../protocol/kms/constants.js';
import { decodeInFormats, decodeModeInfo } from '../../protocol/kms/blobs.js';
import { parseEdid } from '../../protocol/edid.js';
import { fourccToString } from '../../protocol/formats.js';

export interface PropView {
  id: number;
  name: string;
  flags: number;
  /** enum, bitmask, range, signed range, blob or object, as drm_info names them. */
  kind: string;
  /** The enum / bitmask names, or the range's bounds. */
  allowed: string;
  value: number;
  /** The enum name, or the blob decoded, where that says more than the number. */
  shown: string;
}

function kindOf(flags: number): string {
  if ((flags & PROP.SIGNED_RANGE) === PROP.SIGNED_RANGE) return 'signed range';
  if (flags & PROP.OBJECT) return 'object';
  if (flags & PROP.RANGE) return 'range';
  if (flags & PROP.ENUM) return 'enum';
  if (flags & PROP.BITMASK) return 'bitmask';
  if (flags & PROP.BLOB) return 'blob';
  return 'unknown';
}

async function blobText(card: Card, name: string, id: number): Promise<string> {
  const { data } = await card.call('MODE_GETPROPBLOB', { blob_id: id });
  const bytes = data ?? new Uint8Array();
  const head = `blob ${id} (${bytes.length} bytes)`;
  try {
    if (name === 'EDID') {
      const e = parseEdid(bytes);
      const p = e.preferred;
      return `${head}: ${e.manufacturer} product 0x${e.productCode.toString(16).padStart(4, '0')} serial 0x${e.serial.toString(16).padStart(8, '0')} "${e.name ?? ''}", ${e.widthMm}x${e.heightMm} mm, made ${e.year} week ${e.week}, preferred ${p.width}x${p.height} ${p.refresh} Hz at ${p.clock} kHz`;
    }
    if (name === 'IN_FORMATS') {
      const f = decodeInFormats(bytes);
      if (f) return `${head}: ${f.modifiers.map((m) => `${m.modifier === 0n ? 'LINEAR' : `0x${m.modifier.toString(16)}`} × ${m.formats.map(fourccToString).join(' ')}`).join('; ')}`;
    }
    if (name === 'MODE_ID') {
      const m = decodeModeInfo(bytes);
      if (m) return `${head}: ${m.name} ${m.vrefresh} Hz`;
    }
  } catch {
    // undecodable: the size says what there is
  }
  return head;
}

async function propsOf(card: Card, objId: number): Promise<PropView[]> {
  const { props, prop_values } = await card.call('MODE_OBJ_GETPROPERTIES', { obj_id: objId, obj_type: 0 });
  return Promise.all(
    props.map(async (id, i) => {
      const p = await card.call('MODE_GETPROPERTY', { prop_id: id });
      const value = prop_values[i]!;
      const kind = kindOf(p.flags);
      const allowed = p.enums.length > 0 ? p.enums.map((e) => e.name).join(', ') : kind.endsWith('range') ? `[${p.values[0]}, ${p.values[1]}]` : '';
      let shown = String(value);
      if (kind === 'enum') shown = p.enums.find((e) => e.value === value)?.name ?? shown;
      else if (kind === 'bitmask') shown = p.enums.filter((e) => (value >>> e.value) & 1).map((e) => e.name).join(' | ') || '0';
      else if (kind === 'blob' && value !== 0) shown = await blobText(card, p.name, value);
      return { id, name: p.name, flags: p.flags, kind, allowed, value, shown };
    }),
  );
}

export async function gather(card: Card) {
  const clientCaps: Record<string, boolean> = {};
  for (const [name, cap] of Object.entries(DRM_CLIENT_CAP)) {
    clientCaps[name] = await card.call('SET_CLIENT_CAP', { capability: cap, value: 1 }).then(() => true, () => false);
  }
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
  return { version, resources: res, caps, clientCaps, connectors, encoders, crtcs, planes, status };
}

export type DeviceInfo = Awaited<ReturnType<typeof gather>>;
