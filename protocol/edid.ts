// EDID 1.4 base block (128 bytes) for a virtual connector, and a parser for the preferred mode of any EDID.
// The block: header, manufacturer id, product code, serial (hash of the connector's unique-id), week/year, digital
// input, size in cm from a DPI, sRGB chromaticity, no established/standard timings, a detailed timing descriptor
// for the preferred mode (mode-timing.ts), the monitor name, a dummy descriptor, no extensions, checksum.
// Malformed input gives ProtocolError 'EINVAL'.
import { EDID_BLOCK_SIZE } from './displif/constants.js';
import { ProtocolError, checkIntRange, U16_MAX } from './errors.js';
import { ModeFlag, modeTiming, refreshOf, MAX_TIMING_PIXELS, type ModeTiming } from './mode-timing.js';

export { modeTiming, type ModeTiming } from './mode-timing.js';

export interface EdidOptions {
  width: number;
  height: number;
  /** Hz, default 60. */
  refresh?: number;
  /** The connector's unique-id; the 32-bit serial number is its hash (0, "no serial", when absent). */
  uniqueId?: string;
  /** Three letters A-Z, default 'PVD'. */
  manufacturer?: string;
  /** u16, default 1. */
  productCode?: number;
  /** Monitor name, up to 13 printable ASCII characters, default 'pvdisplay'. */
  name?: string;
  /** Pixels per inch used to derive the physical size, default 96. */
  dpi?: number;
  /** Week of manufacture 1..54 (0 = unspecified), default 1. */
  week?: number;
  /** Year of manufacture 2006..2245, default 2025. */
  year?: number;
  /** The preferred detailed timing as it is (e.g. a VESA DMT mode), instead of one computed from the size. */
  timing?: ModeTiming;
}

export interface PreferredMode extends ModeTiming {
  width: number;
  height: number;
  /** Hz, from the pixel clock and the totals. */
  refresh: number;
}

export interface EdidInfo {
  manufacturer: string;
  productCode: number;
  serial: number;
  week: number;
  year: number;
  /** From the monitor-name descriptor, if there is one. */
  name: string | undefined;
  /** Image size from the preferred timing, else from the base block's size in cm. */
  widthMm: number;
  heightMm: number;
  preferred: PreferredMode;
}

const HEADER = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
const DESCRIPTORS = 54; // four 18-byte descriptors at 54, 72, 90, 108
const DESCRIPTOR_SIZE = 18;
const TAG_MONITOR_NAME = 0xfc;
const TAG_DUMMY = 0x10;
const NAME_LENGTH = 13;
const EXTENSION_COUNT = 126;
/** DTD byte 17: digital separate sync (bits 4-3 = 11); bit 2 = +vsync, bit 1 = +hsync; bit 7 = interlaced. */
const DTD_DIGITAL_SEPARATE = 0x18;

// sRGB primaries and D65 white point (x, y) in the order the block stores them: red, green, blue, white.
const SRGB_CHROMATICITY = [0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329];

function fail(message: string): never {
  throw new ProtocolError('EINVAL', message);
}

/** FNV-1a over the string's UTF-16 code units: a stable 32-bit serial per unique-id (never 0, which means none). */
function serialOf(uniqueId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < uniqueId.length; i++) hash = Math.imul(hash ^ uniqueId.charCodeAt(i), 0x01000193) >>> 0;
  return hash === 0 ? 1 : hash;
}

function checksum(block: Uint8Array): number {
  return block.reduce((sum, b) => (sum + b) & 0xff, 0);
}

function writeDetailedTiming(dtd: Uint8Array, t: ModeTiming, widthMm: number, heightMm: number): void {
  const hblank = t.htotal - t.hdisplay;
  const vblank = t.vtotal - t.vdisplay;
  const hfront = t.hsyncStart - t.hdisplay;
  const hsync = t.hsyncEnd - t.hsyncStart;
  const vfront = t.vsyncStart - t.vdisplay;
  const vsync = t.vsyncEnd - t.vsyncStart;
  const fits =
    t.clock % 10 === 0 && t.clock / 10 <= U16_MAX && hblank <= MAX_TIMING_PIXELS && vblank <= MAX_TIMING_PIXELS &&
    hfront <= 0x3ff && hsync <= 0x3ff && vfront <= 0x3f && vsync <= 0x3f;
  if (!fits) fail(`${t.hdisplay}x${t.vdisplay} at ${t.clock} kHz does not fit an EDID detailed timing`);
  const clock10k = t.clock / 10;
  dtd[0] = clock10k & 0xff;
  dtd[1] = clock10k >> 8;
  dtd[2] = t.hdisplay & 0xff;
  dtd[3] = hblank & 0xff;
  dtd[4] = ((t.hdisplay >> 8) << 4) | (hblank >> 8);
  dtd[5] = t.vdisplay & 0xff;
  dtd[6] = vblank & 0xff;
  dtd[7] = ((t.vdisplay >> 8) << 4) | (vblank >> 8);
  dtd[8] = hfront & 0xff;
  dtd[9] = hsync & 0xff;
  dtd[10] = ((vfront & 0x0f) << 4) | (vsync & 0x0f);
  dtd[11] = ((hfront >> 8) << 6) | ((hsync >> 8) << 4) | ((vfront >> 4) << 2) | (vsync >> 4);
  dtd[12] = widthMm & 0xff;
  dtd[13] = heightMm & 0xff;
  dtd[14] = ((widthMm >> 8) << 4) | (heightMm >> 8);
  dtd[17] =
    DTD_DIGITAL_SEPARATE | (t.flags & ModeFlag.PVSYNC ? 0x04 : 0) | (t.flags & ModeFlag.PHSYNC ? 0x02 : 0);
}

function readDetailedTiming(dtd: Uint8Array): PreferredMode {
  const clock = (dtd[0]! | (dtd[1]! << 8)) * 10;
  if (clock === 0) fail('EDID has no detailed timing for a preferred mode');
  if (dtd[17]! & 0x80) fail('EDID preferred timing is interlaced');
  const hdisplay = dtd[2]! | ((dtd[4]! >> 4) << 8);
  const hblank = dtd[3]! | ((dtd[4]! & 0x0f) << 8);
  const vdisplay = dtd[5]! | ((dtd[7]! >> 4) << 8);
  const vblank = dtd[6]! | ((dtd[7]! & 0x0f) << 8);
  const hfront = dtd[8]! | ((dtd[11]! >> 6) << 8);
  const hsync = dtd[9]! | (((dtd[11]! >> 4) & 0x03) << 8);
  const vfront = (dtd[10]! >> 4) | (((dtd[11]! >> 2) & 0x03) << 4);
  const vsync = (dtd[10]! & 0x0f) | ((dtd[11]! & 0x03) << 4);
  if (hdisplay === 0 || vdisplay === 0 || hblank === 0 || vblank === 0) fail('EDID preferred timing has an empty size');
  const digitalSeparate = (dtd[17]! & DTD_DIGITAL_SEPARATE) === DTD_DIGITAL_SEPARATE;
  const flags = digitalSeparate
    ? (dtd[17]! & 0x02 ? ModeFlag.PHSYNC : ModeFlag.NHSYNC) | (dtd[17]! & 0x04 ? ModeFlag.PVSYNC : ModeFlag.NVSYNC)
    : 0;
  const htotal = hdisplay + hblank;
  const vtotal = vdisplay + vblank;
  const refresh = refreshOf(clock, htotal, vtotal);
  return {
    width: hdisplay,
    height: vdisplay,
    refresh,
    clock,
    hdisplay,
    hsyncStart: hdisplay + hfront,
    hsyncEnd: hdisplay + hfront + hsync,
    htotal,
    vdisplay,
    vsyncStart: vdisplay + vfront,
    vsyncEnd: vdisplay + vfront + vsync,
    vtotal,
    vrefresh: refresh,
    flags,
  };
}

function writeTextDescriptor(d: Uint8Array, tag: number, text: string): void {
  d[3] = tag;
  for (let i = 0; i < NAME_LENGTH; i++) d[5 + i] = i < text.length ? text.charCodeAt(i) : i === text.length ? 0x0a : 0x20;
}

/** Builds the 128-byte EDID 1.4 block for a connector. Throws 'EINVAL' for bad options or a mode no DTD can hold. */
export function buildEdid(options: EdidOptions): Uint8Array {
  const { width, height, refresh = 60, uniqueId, manufacturer = 'PVD', productCode = 1 } = options;
  const { name = 'pvdisplay', dpi = 96, week = 1, year = 2025 } = options;
  if (!/^[A-Z]{3}$/.test(manufacturer)) fail(`manufacturer id "${manufacturer}" is not three letters A-Z`);
  if (!/^[\x20-\x7e]{0,13}$/.test(name)) fail(`monitor name "${name}" is not up to 13 printable ASCII characters`);
  checkIntRange('product code', productCode, 0, U16_MAX);
  checkIntRange('week', week, 0, 54);
  checkIntRange('year', year, 2006, 2245);
  if (!(dpi > 0 && dpi < 100_000)) fail(`dpi ${dpi} is out of range`);
  const timing = options.timing ?? modeTiming(width, height, refresh);
  if (timing.hdisplay !== width || timing.vdisplay !== height) fail(`timing ${timing.hdisplay}x${timing.vdisplay} is not the size ${width}x${height}`);
  const mm = (px: number): number => Math.min(Math.max(Math.round((px * 25.4) / dpi), 1), MAX_TIMING_PIXELS);
  const cm = (px: number): number => Math.min(Math.max(Math.round((px * 2.54) / dpi), 1), 255);

  const edid = new Uint8Array(EDID_BLOCK_SIZE);
  const view = new DataView(edid.buffer);
  edid.set(HEADER, 0);
  const letter = (i: number): number => manufacturer.charCodeAt(i) - 64; // 'A' = 1, five bits each, big-endian
  view.setUint16(8, (letter(0) << 10) | (letter(1) << 5) | letter(2), false);
  view.setUint16(10, productCode, true);
  view.setUint32(12, uniqueId === undefined ? 0 : serialOf(uniqueId), true);
  edid[16] = week;
  edid[17] = year - 1990;
  edid[18] = 1; // EDID version 1.4
  edid[19] = 4;
  edid[20] = 0x80 | (2 << 4); // digital input, 8 bits per colour, interface not defined
  edid[21] = cm(width);
  edid[22] = cm(height);
  edid[23] = 120; // gamma 2.2, stored as 100 * gamma - 100
  edid[24] = 0x06; // RGB 4:4:4, sRGB is the default colour space, preferred timing is native
  const c = SRGB_CHROMATICITY.map((v) => Math.round(v * 1024)); // 10-bit fractions
  edid[25] = ((c[0]! & 3) << 6) | ((c[1]! & 3) << 4) | ((c[2]! & 3) << 2) | (c[3]! & 3);
  edid[26] = ((c[4]! & 3) << 6) | ((c[5]! & 3) << 4) | ((c[6]! & 3) << 2) | (c[7]! & 3);
  c.forEach((v, i) => (edid[27 + i] = v >> 2));
  // Bytes 35-37 (established timings) stay 0; the 8 standard timings are unused (0x01 0x01).
  edid.fill(0x01, 38, 54);
  writeDetailedTiming(edid.subarray(DESCRIPTORS, DESCRIPTORS + DESCRIPTOR_SIZE), timing, mm(width), mm(height));
  writeTextDescriptor(edid.subarray(72, 90), TAG_MONITOR_NAME, name);
  edid[90 + 3] = TAG_DUMMY;
  edid[108 + 3] = TAG_DUMMY;
  edid[EXTENSION_COUNT] = 0;
  edid[127] = (256 - checksum(edid)) & 0xff;
  return edid;
}

/**
 * Parses an EDID (base block, plus any extension blocks present in `bytes`): checks the header, the version (1.x)
 * and every present block's checksum, then reads the identity, the first detailed timing as the preferred mode and
 * the monitor name. Throws ProtocolError 'EINVAL' naming what is wrong.
 */
export function parseEdid(bytes: Uint8Array): EdidInfo {
  if (bytes.length < EDID_BLOCK_SIZE) fail(`EDID is ${bytes.length} bytes, shorter than one ${EDID_BLOCK_SIZE}-byte block`);
  const edid = bytes.slice(0, EDID_BLOCK_SIZE);
  if (HEADER.some((b, i) => edid[i] !== b)) fail('EDID header is wrong');
  if (edid[18] !== 1) fail(`EDID version ${edid[18]} is not 1.x`);
  const blocks = Math.min(1 + edid[EXTENSION_COUNT]!, Math.floor(bytes.length / EDID_BLOCK_SIZE));
  for (let b = 0; b < blocks; b++) {
    if (checksum(bytes.subarray(b * EDID_BLOCK_SIZE, (b + 1) * EDID_BLOCK_SIZE)) !== 0) fail(`EDID block ${b} checksum is wrong`);
  }
  const view = new DataView(edid.buffer);
  const id = view.getUint16(8, false);
  const manufacturer = [10, 5, 0].map((shift) => String.fromCharCode(64 + ((id >> shift) & 0x1f))).join('');
  const dtd = edid.subarray(DESCRIPTORS, DESCRIPTORS + DESCRIPTOR_SIZE);
  const preferred = readDetailedTiming(dtd);
  const dtdWidthMm = dtd[12]! | ((dtd[14]! >> 4) << 8);
  const dtdHeightMm = dtd[13]! | ((dtd[14]! & 0x0f) << 8);
  let name: string | undefined;
  for (let at = DESCRIPTORS + DESCRIPTOR_SIZE; at < EXTENSION_COUNT; at += DESCRIPTOR_SIZE) {
    const d = edid.subarray(at, at + DESCRIPTOR_SIZE);
    if (d[0] === 0 && d[1] === 0 && d[3] === TAG_MONITOR_NAME && name === undefined) {
      name = String.fromCharCode(...d.subarray(5)).split('\n')[0]!.trimEnd();
    }
  }
  return {
    manufacturer,
    productCode: view.getUint16(10, true),
    serial: view.getUint32(12, true),
    week: edid[16]!,
    year: 1990 + edid[17]!,
    name,
    widthMm: dtdWidthMm || edid[21]! * 10,
    heightMm: dtdHeightMm || edid[22]! * 10,
    preferred,
  };
}
