// drm_mode_modeinfo as a plain map on the device node, with its validation.
import { type Fields, uint, str } from '../fields.js';

export interface ModeInfo {
  clock: number; // kHz
  hdisplay: number;
  hsync_start: number;
  hsync_end: number;
  htotal: number;
  hskew: number;
  vdisplay: number;
  vsync_start: number;
  vsync_end: number;
  vtotal: number;
  vscan: number;
  vrefresh: number;
  flags: number;
  type: number;
  name: string;
}

const U16 = 0xffff;

export function parseModeInfo(m: Fields): ModeInfo {
  return {
    clock: uint(m, 'clock'),
    hdisplay: uint(m, 'hdisplay', U16),
    hsync_start: uint(m, 'hsync_start', U16),
    hsync_end: uint(m, 'hsync_end', U16),
    htotal: uint(m, 'htotal', U16),
    hskew: uint(m, 'hskew', U16),
    vdisplay: uint(m, 'vdisplay', U16),
    vsync_start: uint(m, 'vsync_start', U16),
    vsync_end: uint(m, 'vsync_end', U16),
    vtotal: uint(m, 'vtotal', U16),
    vscan: uint(m, 'vscan', U16),
    vrefresh: uint(m, 'vrefresh'),
    flags: uint(m, 'flags'),
    type: uint(m, 'type'),
    name: str(m, 'name', 32),
  };
}
