// Framebuffers: ADDFB / ADDFB2 with the kernel's checks in order (K-FB-02..17; LINEAR is the one modifier), RMFB
// (another file's fb is ENOENT; an fb on screen turns its planes and CRTC off first), CLOSEFB (planes keep showing
// it), GETFB / GETFB2 (a new handle each call, 0 for non-masters), DIRTYFB (a checked damage hint).
import type { Rect } from '../../protocol/kms/blobs.js';
import { ADDFB2, DIRTYFB, DRM_FORMAT_MOD_LINEAR, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { formatByFourcc, formatForBppDepth } from '../../protocol/formats.js';
import { pvError } from '../../shared/errors.js';
import { checkCommit } from './check.js';
import { commit } from './commit.js';
import { MAX_HEIGHT, MAX_WIDTH, type KmsDevice } from './device.js';
import type { DrmFile } from './file.js';
import { Framebuffer } from './framebuffer.js';
import { disableInto } from './legacy.js';
import { AtomicState } from './state.js';

const U32 = 0xffffffff;

export async function addFb(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_ADDFB'>): Promise<KmsResult<'MODE_ADDFB'>> {
  const format = formatForBppDepth(a.bpp, a.depth);
  if (!format) throw pvError('EINVAL', `no format for bpp ${a.bpp} depth ${a.depth}`);
  return addFb2(dev, file, { width: a.width, height: a.height, pixel_format: format.fourcc, flags: 0, handles: [a.handle, 0, 0, 0], pitches: [a.pitch, 0, 0, 0], offsets: [0, 0, 0, 0] });
}

export async function addFb2(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_ADDFB2'>): Promise<KmsResult<'MODE_ADDFB2'>> {
  if (a.flags & ~(ADDFB2.INTERLACED | ADDFB2.MODIFIERS)) throw pvError('EINVAL', `bad ADDFB2 flags 0x${a.flags.toString(16)}`);
  if (a.width > MAX_WIDTH || a.height > MAX_HEIGHT) throw pvError('EINVAL', `${a.width}x${a.height} exceeds ${MAX_WIDTH}x${MAX_HEIGHT}`);
  const format = formatByFourcc(a.pixel_format);
  if (!format) throw pvError('EINVAL', `unknown pixel format 0x${a.pixel_format.toString(16)}`);
  if (a.flags & ADDFB2.MODIFIERS) checkModifiers(a);
  if (a.width === 0 || a.height === 0) throw pvError('EINVAL', 'width and height must be non-zero');
  const handle = a.handles[0] ?? 0;
  const pitch = a.pitches[0] ?? 0;
  const offset = a.offsets[0] ?? 0;
  if (handle === 0) throw pvError('EINVAL', 'plane 0 has no handle');
  const minPitch = format.cpp * a.width;
  if (minPitch > U32 || pitch * (a.height - 1) + minPitch + offset > U32) throw pvError('ERANGE', 'pitch × height + offset overflows 32 bits');
  if (pitch < minPitch) throw pvError('EINVAL', `pitch ${pitch} below the minimum ${minPitch}`);
  if (!(a.flags & ADDFB2.MODIFIERS) && (a.modifier ?? []).some((m) => m !== 0)) throw pvError('EINVAL', 'a modifier without the MODIFIERS flag');
  const obj = file.handles.get(handle);
  if (!obj) throw pvError('ENOENT', `no buffer with handle ${handle}`);
  if (obj.size < (a.height - 1) * pitch + minPitch + offset) throw pvError('EINVAL', `buffer of ${obj.size} bytes too small for the framebuffer`);
  // displif carries no pitch or offset: the backend reads rows at the dbuf's own pitch from its start (an imported
  // buffer has no geometry, so its rows are width × cpp apart).
  const rowPitch = obj.imported ? minPitch : obj.pitch;
  if (pitch !== rowPitch || offset !== 0) throw pvError('EINVAL', `pitch must be ${rowPitch} and offset 0 over displif`);
  const cookie = dev.cookie();
  await dev.backend.attachFb(obj.cookie, cookie, a.width, a.height, format.fourcc);
  const fb = dev.objects.add(new Framebuffer(dev.objects.allocate(), file, obj.get(), cookie, a.width, a.height, format, pitch, offset));
  file.fbs.add(fb);
  return { fb_id: fb.id };
}

/**
 * With the MODIFIERS flag (framebuffer_check): the formats here have one plane, so planes 1..3 must be all zero
 * (handle, pitch, offset, modifier), and plane 0's modifier must be one IN_FORMATS lists: LINEAR.
 */
function checkModifiers(a: KmsArgs<'MODE_ADDFB2'>): void {
  const mods = a.modifier ?? [];
  for (let i = 1; i < 4; i++) {
    if ((a.handles[i] ?? 0) || (a.pitches[i] ?? 0) || (a.offsets[i] ?? 0) || (mods[i] ?? 0)) throw pvError('EINVAL', `plane ${i} is unused but set`);
  }
  if ((mods[0] ?? 0) !== DRM_FORMAT_MOD_LINEAR) throw pvError('EINVAL', `modifier 0x${(mods[0] ?? 0).toString(16)} is not in IN_FORMATS (only LINEAR)`);
}

export async function rmFb(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_RMFB'>): Promise<Record<string, never>> {
  const fb = dev.objects.lookup<Framebuffer>(a.fb_id, OBJECT_TYPE.FB, 'framebuffer');
  if (fb.owner !== file || !file.fbs.has(fb)) throw pvError('ENOENT', `framebuffer ${a.fb_id} belongs to another file or was closed`);
  await removeFb(dev, file, fb);
  return {};
}

/** MODE_CLOSEFB: the id leaves the file; if a plane still shows the fb, it stays until nothing does (RMFB-04). */
export async function closeFb(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_CLOSEFB'>): Promise<Record<string, never>> {
  if (a.pad) throw pvError('EINVAL', 'pad must be 0');
  const fb = dev.objects.lookup<Framebuffer>(a.fb_id, OBJECT_TYPE.FB, 'framebuffer');
  if (fb.owner !== file || !file.fbs.has(fb)) throw pvError('ENOENT', `framebuffer ${a.fb_id} is not this file's`);
  file.fbs.delete(fb);
  if (dev.shows(fb)) dev.closedFbs.add(fb);
  else await removeFb(dev, file, fb);
  return {};
}

/**
 * MODE_DIRTYFB (master only; any file's fb): a null clip list with a count, or a list without one, is EINVAL, as
 * are an odd count with ANNOTATE_COPY and more than 256 clips. Shared memory needs nothing more; a transport that
 * copies bytes (remote) sends the clips' bytes now, so front-buffer rendering shows there too.
 */
export function dirtyFb(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_DIRTYFB'>): Record<string, never> {
  dev.requireMaster(file);
  const fb = dev.objects.lookup<Framebuffer>(a.fb_id, OBJECT_TYPE.FB, 'framebuffer');
  if (!a.num_clips !== !a.clips) throw pvError('EINVAL', 'num_clips and clips_ptr must be both set or both zero');
  if (a.flags & DIRTYFB.ANNOTATE_COPY && a.num_clips % 2) throw pvError('EINVAL', 'ANNOTATE_COPY needs clips in pairs');
  if (a.num_clips > DIRTYFB.MAX_CLIPS) throw pvError('EINVAL', `more than ${DIRTYFB.MAX_CLIPS} clips`);
  if (a.clips && a.clips.length !== a.num_clips * 8) throw pvError('EINVAL', `clips must be ${a.num_clips} × 8 bytes`);
  dev.backend.dirtyFb(fb.cookie, a.clips && clipRects(a.clips));
  return {};
}

/** drm_clip_rect (u16 x1, y1, x2, y2) as rects. */
function clipRects(bytes: Uint8Array): Rect[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Rect[] = [];
  for (let o = 0; o + 8 <= bytes.length; o += 8) out.push({ x1: dv.getUint16(o, true), y1: dv.getUint16(o + 2, true), x2: dv.getUint16(o + 4, true), y2: dv.getUint16(o + 6, true) });
  return out;
}

/** Turns off what shows the fb (planes, falling back to the whole CRTC, K-FB-21), then detaches it. */
export async function removeFb(dev: KmsDevice, file: DrmFile, fb: Framebuffer): Promise<void> {
  file.fbs.delete(fb);
  dev.objects.remove(fb);
  // An unplugged device talks to no backend: FB_DETACH and the disabling commit are skipped, as Linux skips them.
  if (dev.unplugged) return fb.gem.put();
  for (const crtc of dev.crtcs) {
    if (crtc.plane.state.fb !== fb) continue;
    const st = new AtomicState<(typeof dev.crtcs)[number], (typeof dev.planes)[number], (typeof dev.connectors)[number]>();
    disableInto(dev, st, crtc);
    const old = crtc.state.modeBlob;
    await commit(dev, st, checkCommit(dev, st, { allowModeset: true, event: false }), { nonblock: false });
    dev.blobs.release(old);
  }
  try {
    await dev.backend.detachFb(fb.cookie);
  } finally {
    fb.gem.put();
  }
}

function lookupForGet(dev: KmsDevice, id: number): Framebuffer {
  return dev.objects.lookup<Framebuffer>(id, OBJECT_TYPE.FB, 'framebuffer');
}

/** A fresh handle to the fb's buffer for the current master (K-FB-24: 0 for anyone else). */
function handleFor(dev: KmsDevice, file: DrmFile, fb: Framebuffer): number {
  return dev.master === file ? file.newHandle(fb.gem.get()) : 0;
}

export function getFb(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_GETFB'>): KmsResult<'MODE_GETFB'> {
  const fb = lookupForGet(dev, a.fb_id);
  return { fb_id: fb.id, width: fb.width, height: fb.height, pitch: fb.pitch, bpp: fb.format.bpp, depth: fb.format.depth, handle: handleFor(dev, file, fb) };
}

export function getFb2(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_GETFB2'>): KmsResult<'MODE_GETFB2'> {
  const fb = lookupForGet(dev, a.fb_id);
  return {
    fb_id: fb.id,
    width: fb.width,
    height: fb.height,
    pixel_format: fb.format.fourcc,
    flags: ADDFB2.MODIFIERS, // the kernel sets it whenever the driver takes modifiers (GETFB-09)
    handles: [handleFor(dev, file, fb), 0, 0, 0],
    pitches: [fb.pitch, 0, 0, 0],
    offsets: [fb.offset, 0, 0, 0],
    modifier: [0, 0, 0, 0],
  };
}
