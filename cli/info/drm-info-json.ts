// `pvdisplay info --json`: drm_info -j's schema (drm_info 2.x, json.c), so that a tool that reads one reads the
// other — `{"<node path>": {driver, device, fb_size, connectors, encoders, crtcs, planes}}` with the same keys,
// u64 values written exactly, properties by name with raw_value / spec / value / data as drm_info derives them.
// What only pvdisplay knows sits under keys named "pvdisplay" (in the device and in each connector and CRTC),
// which drm_info never writes and its readers therefore ignore.
import { release, type, version as kernelVersion } from 'node:os';
import { PROP } from '../../protocol/kms/constants.js';
import { decodeInFormats, decodeModeInfo } from '../../protocol/kms/blobs.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import { parseEdid } from '../../protocol/edid.js';
import { PLATFORM_COMPATIBLE } from '../run/fake-root.js';
import type { ExactJson } from './exact-json.js';
import type { DeviceInfo, FbView, PropView } from './gather.js';

/** The caps drm_info asks for, in its order; a device's others go under "pvdisplay". */
const DRM_INFO_CAPS = ['DUMB_BUFFER', 'VBLANK_HIGH_CRTC', 'DUMB_PREFERRED_DEPTH', 'DUMB_PREFER_SHADOW', 'PRIME', 'TIMESTAMP_MONOTONIC', 'ASYNC_PAGE_FLIP', 'CURSOR_WIDTH', 'CURSOR_HEIGHT', 'ADDFB2_MODIFIERS', 'PAGE_FLIP_TARGET', 'CRTC_IN_VBLANK_EVENT', 'SYNCOBJ', 'SYNCOBJ_TIMELINE'];
/** drm.h: DRM_MODE_PROP_LEGACY_TYPE | DRM_MODE_PROP_EXTENDED_TYPE. */
const PROP_TYPE_MASK = PROP.RANGE | PROP.ENUM | PROP.BLOB | PROP.BITMASK | 0x0000ffc0;
/** drm.h DRM_MODE_FB_MODIFIERS. */
const FB_MODIFIERS = 1 << 1;
/** xf86drm.h: DRM_BUS_PLATFORM, and the primary node alone (1 << DRM_NODE_PRIMARY), as `pvdisplay run` presents the card. */
const DRM_BUS_PLATFORM = 2;
const PRIMARY_NODE_ONLY = 1;

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

function mode(m: ModeInfo): ExactJson {
  const { clock, hdisplay, hsync_start, hsync_end, htotal, hskew, vdisplay, vsync_start, vsync_end, vtotal, vscan, vrefresh, flags, type: t, name } = m;
  return { clock, hdisplay, hsync_start, hsync_end, htotal, hskew, vdisplay, vsync_start, vsync_end, vtotal, vscan, vrefresh, flags, type: t, name };
}

function fb(view: FbView | undefined): ExactJson {
  if (!view) return null;
  if ('fb' in view) {
    const { fb_id, width, height, pitch, bpp, depth } = view.fb;
    return { id: fb_id, width, height, pitch, bpp, depth };
  }
  const f = view.fb2;
  const planes = f.pitches.flatMap((pitch, i) => (pitch ? [{ offset: f.offsets[i] ?? 0, pitch }] : []));
  const out: { [key: string]: ExactJson } = { id: f.fb_id, width: f.width, height: f.height, format: f.pixel_format };
  if (f.flags & FB_MODIFIERS) out.modifier = u64(f.modifier[0] ?? 0);
  out.planes = planes;
  return out;
}

/** A blob's `data` where drm_info decodes it (IN_FORMATS, MODE_ID, WRITEBACK_PIXEL_FORMATS, PATH); else null. */
function blobData(p: PropView): ExactJson {
  const bytes = p.blob;
  if (!bytes) return null;
  if (p.name === 'IN_FORMATS') return decodeInFormats(bytes)?.modifiers.map((m) => ({ modifier: m.modifier, formats: m.formats })) ?? null;
  if (p.name === 'MODE_ID') {
    const m = decodeModeInfo(bytes);
    return m ? mode(m) : null;
  }
  if (p.name === 'WRITEBACK_PIXEL_FORMATS') return Array.from({ length: bytes.length >> 2 }, (_, i) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(4 * i, true));
  if (p.name === 'PATH') return new TextDecoder().decode(bytes);
  return null;
}

function property(p: PropView, fbs: DeviceInfo['framebuffers']): ExactJson {
  const kind = p.flags & PROP_TYPE_MASK;
  let spec: ExactJson = null;
  let value: ExactJson = u64(p.value);
  let data: ExactJson = null;
  if (kind === PROP.RANGE) {
    spec = { min: u64(p.values[0] ?? 0), max: u64(p.values[1] ?? 0) };
    // SRC_* are 16.16 fixed point: drm_info shows their integer part.
    if (p.name.startsWith('SRC_')) data = u64(p.value) >> 16n;
  } else if (kind === PROP.ENUM || kind === PROP.BITMASK) {
    spec = p.enums.map((e) => ({ name: e.name, value: u64(e.value) }));
  } else if (kind === PROP.OBJECT) {
    spec = u64(p.values[0] ?? 0);
    if (p.name === 'FB_ID' && p.value !== 0) data = fb(fbs.get(p.value));
  } else if (kind === PROP.SIGNED_RANGE) {
    spec = { min: p.values[0] ?? 0, max: p.values[1] ?? 0 };
    value = p.value;
  } else if (kind === PROP.BLOB) {
    value = null;
    data = blobData(p);
  }
  return { id: p.id, flags: p.flags, type: kind, atomic: (p.flags & PROP.ATOMIC) !== 0, immutable: (p.flags & PROP.IMMUTABLE) !== 0, raw_value: u64(p.value), spec, value, data };
}

function properties(list: PropView[], fbs: DeviceInfo['framebuffers']): ExactJson {
  return Object.fromEntries(list.map((p) => [p.name, property(p, fbs)]));
}

function enumName(props: PropView[], name: string): string | null {
  const p = props.find((q) => q.name === name);
  return p?.enums.find((e) => e.value === p.value)?.name ?? null;
}

function edidOf(props: PropView[]): ExactJson {
  const bytes = props.find((p) => p.name === 'EDID')?.blob;
  if (!bytes) return null;
  try {
    const e = parseEdid(bytes);
    const p = e.preferred;
    return { manufacturer: e.manufacturer, product: e.productCode, serial: e.serial, name: e.name ?? null, width_mm: e.widthMm, height_mm: e.heightMm, year: e.year, week: e.week, preferred: { width: p.width, height: p.height, refresh: p.refresh, clock: p.clock } };
  } catch {
    return null;
  }
}

export function drmInfoJson(path: string, info: DeviceInfo): ExactJson {
  const v = info.version;
  const fbs = info.framebuffers;
  const r = info.resources;
  const otherCaps = Object.fromEntries(Object.entries(info.caps).filter(([k]) => !DRM_INFO_CAPS.includes(k)));
  const device: ExactJson = {
    driver: {
      name: v.name,
      desc: v.desc,
      version: { major: v.major, minor: v.minor, patch: v.patch, date: v.date },
      kernel: { sysname: type(), release: release(), version: kernelVersion() },
      client_caps: info.clientCaps,
      caps: Object.fromEntries(DRM_INFO_CAPS.map((k) => [k, info.caps[k] ?? null])),
    },
    device: { available_nodes: PRIMARY_NODE_ONLY, bus_type: DRM_BUS_PLATFORM, device_data: { compatible: [PLATFORM_COMPATIBLE] } },
    fb_size: { min_width: r.min_width, max_width: r.max_width, min_height: r.min_height, max_height: r.max_height },
    connectors: info.connectors.map((c) => ({
      id: c.connector_id,
      type: c.connector_type,
      status: c.connection,
      phy_width: c.mm_width,
      phy_height: c.mm_height,
      // As libdrm converts it: the kernel's enum subpixel_order starts at 0, drmModeSubPixel at 1.
      subpixel: c.subpixel + 1,
      encoder_id: c.encoder_id,
      encoders: c.encoders,
      modes: c.modes.map(mode),
      properties: properties(c.properties, fbs),
      // drm_info gives no connector name (type id) and leaves the EDID undecoded.
      pvdisplay: { name: `Virtual-${c.connector_type_id}`, link_status: enumName(c.properties, 'link-status'), edid: edidOf(c.properties) },
    })),
    encoders: info.encoders.map((e) => ({ id: e.encoder_id, type: e.encoder_type, crtc_id: e.crtc_id, possible_crtcs: e.possible_crtcs, possible_clones: e.possible_clones })),
    crtcs: info.crtcs.map((c) => {
      const st = info.status.crtcs.find((s) => s.crtc_id === c.crtc_id);
      return {
        id: c.crtc_id,
        fb_id: c.fb_id,
        x: c.x,
        y: c.y,
        mode: c.mode_valid && c.mode ? mode(c.mode) : null,
        gamma_size: c.gamma_size,
        properties: properties(c.properties, fbs),
        pvdisplay: { frame_done_timeouts: st?.frame_done_timeouts ?? 0, fence_timeouts: st?.fence_timeouts ?? 0, pending_vblank_waits: st?.pending_vblank_waits ?? 0 },
      };
    }),
    planes: info.planes.map((p) => ({
      id: p.plane_id,
      possible_crtcs: p.possible_crtcs,
      crtc_id: p.crtc_id,
      fb_id: p.fb_id,
      // GETPLANE carries no positions: libdrm leaves them 0, and drm_info prints those zeros.
      crtc_x: 0,
      crtc_y: 0,
      x: 0,
      y: 0,
      gamma_size: p.gamma_size,
      fb: p.fb_id ? fb(fbs.get(p.fb_id)) : null,
      formats: p.format_types,
      properties: properties(p.properties, fbs),
    })),
    pvdisplay: { unplugged: info.status.unplugged, caps: otherCaps },
  };
  return { [path]: device };
}
