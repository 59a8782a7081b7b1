// Display mode timing: the full mode (as a DRM mode info holds it) for a W x H picture at an integer refresh rate,
// shared by the backend's EDID and the frontend's mode list so both describe the same mode.
// Blanking is reduced-blanking style, as flat panels use: 80 pixels horizontally (8 front porch, 32 sync, 40 back
// porch, as CVT-RB2), vertically at least 460 us (CVT's minimum) with a 3-line front porch, 5-line sync and >= 6-line
// back porch; +hsync, -vsync. The pixel clock is rounded to 10 kHz, the unit an EDID detailed timing stores; so
// that this rounding never moves the refresh by 0.5 Hz, tiny pictures get a longer horizontal back porch (a frame
// is always more than 10,000 pixel clocks). Where the clock would pass the 655.35 MHz a detailed timing can hold,
// the vertical blanking shrinks to fit (down to 14 lines).
// (Linux's own frontend uses no blanking at all, clock = W*H*60; the blanking here only matters to mode consumers.)
import { checkIntRange } from './errors.js';

export interface ModeTiming {
  /** Pixel clock in kHz (a multiple of 10). */
  clock: number;
  hdisplay: number;
  hsyncStart: number;
  hsyncEnd: number;
  htotal: number;
  vdisplay: number;
  vsyncStart: number;
  vsyncEnd: number;
  vtotal: number;
  /** Hz, from clock and totals as DRM computes it (rounded to the closest integer). */
  vrefresh: number;
  /** DRM_MODE_FLAG_* sync polarities. */
  flags: number;
}

/** DRM_MODE_FLAG_* polarity bits. */
export const ModeFlag = { PHSYNC: 1 << 0, NHSYNC: 1 << 1, PVSYNC: 1 << 2, NVSYNC: 1 << 3 } as const;

/** Largest active width/height and blanking an EDID detailed timing holds (12-bit fields). */
export const MAX_TIMING_PIXELS = 4095;
/** Largest pixel clock an EDID detailed timing holds: 65535 x 10 kHz. */
export const MAX_TIMING_CLOCK_KHZ = 655_350;
export const MAX_REFRESH_HZ = 1000;

const H_FRONT = 8;
const H_SYNC = 32;
const H_BACK = 40;
const V_FRONT = 3;
const V_SYNC = 5;
const V_BACK_MIN = 6;
const V_BLANK_MIN_LINES = V_FRONT + V_SYNC + V_BACK_MIN;
const V_BLANK_MIN_US = 460;
const MIN_FRAME_CLOCKS = 10_000;

/** DRM's drm_mode_vrefresh: clock * 1000 / (htotal * vtotal), rounded to the closest integer. */
export function refreshOf(clockKhz: number, htotal: number, vtotal: number): number {
  return Math.round((clockKhz * 1000) / (htotal * vtotal));
}

/**
 * The mode for `width` x `height` (1..4095 each) at `refreshHz` (1..1000), with vrefresh === refreshHz: see the
 * header for the blanking rule. Throws ProtocolError 'EINVAL' for arguments out of range.
 */
export function modeTiming(width: number, height: number, refreshHz: number): ModeTiming {
  checkIntRange('width', width, 1, MAX_TIMING_PIXELS);
  checkIntRange('height', height, 1, MAX_TIMING_PIXELS);
  checkIntRange('refresh', refreshHz, 1, MAX_REFRESH_HZ);
  const minHtotal = width + H_FRONT + H_SYNC + H_BACK;
  // CVT's estimate of the line period, then enough whole lines to cover the minimum vertical blanking time.
  const linePeriodUs = (1e6 / refreshHz - V_BLANK_MIN_US) / height;
  let vblank = Math.max(Math.floor(V_BLANK_MIN_US / linePeriodUs) + 1, V_BLANK_MIN_LINES);
  const linesThatFit = Math.floor((MAX_TIMING_CLOCK_KHZ * 1000) / (minHtotal * refreshHz));
  if (height + vblank > linesThatFit && linesThatFit - height >= V_BLANK_MIN_LINES) vblank = linesThatFit - height;
  const vtotal = height + vblank;
  // Rounding the clock to 10 kHz moves the refresh by at most 5000 / (htotal * vtotal) Hz: keep that under 0.5.
  const htotal = Math.max(minHtotal, Math.floor(MIN_FRAME_CLOCKS / vtotal) + 1);
  const clock = Math.round((htotal * vtotal * refreshHz) / 10_000) * 10;
  return {
    clock,
    hdisplay: width,
    hsyncStart: width + H_FRONT,
    hsyncEnd: width + H_FRONT + H_SYNC,
    htotal,
    vdisplay: height,
    vsyncStart: height + V_FRONT,
    vsyncEnd: height + V_FRONT + V_SYNC,
    vtotal,
    vrefresh: refreshOf(clock, htotal, vtotal),
    flags: ModeFlag.PHSYNC | ModeFlag.NVSYNC,
  };
}
