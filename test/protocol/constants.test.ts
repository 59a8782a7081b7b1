// The exported constants match the spec JSON's constants.
import { describe, expect, it } from 'vitest';
import * as C from '../../protocol/displif/constants.js';
import { ERRNO } from '../../protocol/errors.js';
import { PIXEL_FORMATS } from '../../protocol/formats.js';
import { XenbusState } from '../../protocol/bus/xenbus-state.js';
import { loadSpec } from './spec.js';

describe.each([1, 2] as const)('constants vs displif-v%s.json', (version) => {
  const k = loadSpec(version).constants;
  const pairs: [string, unknown][] = [
    ['XENDISPL_OP_DBUF_CREATE', C.Op.DBUF_CREATE],
    ['XENDISPL_OP_DBUF_DESTROY', C.Op.DBUF_DESTROY],
    ['XENDISPL_OP_FB_ATTACH', C.Op.FB_ATTACH],
    ['XENDISPL_OP_FB_DETACH', C.Op.FB_DETACH],
    ['XENDISPL_OP_SET_CONFIG', C.Op.SET_CONFIG],
    ['XENDISPL_OP_PG_FLIP', C.Op.PG_FLIP],
    ['XENDISPL_OP_GET_EDID', C.Op.GET_EDID],
    ['XENDISPL_EVT_PG_FLIP', C.EVT_PG_FLIP],
    ['XENDISPL_DBUF_FLG_REQ_ALLOC', C.DBUF_FLG_REQ_ALLOC],
    ['XENDISPL_EDID_BLOCK_SIZE', C.EDID_BLOCK_SIZE],
    ['XENDISPL_EDID_BLOCK_COUNT', C.EDID_BLOCK_COUNT],
    ['XENDISPL_EDID_MAX_SIZE', C.EDID_MAX_SIZE],
    ['XENDISPL_PROTOCOL_VERSION_INT', C.PROTOCOL_VERSION_INT],
    ['XENDISPL_DRIVER_NAME', C.DRIVER_NAME],
    ['XENDISPL_LIST_SEPARATOR', C.LIST_SEPARATOR],
    ['XENDISPL_RESOLUTION_SEPARATOR', C.RESOLUTION_SEPARATOR],
    ['XENDISPL_FIELD_BE_VERSIONS', C.StoreField.BE_VERSIONS],
    ['XENDISPL_FIELD_FE_VERSION', C.StoreField.FE_VERSION],
    ['XENDISPL_FIELD_REQ_RING_REF', C.StoreField.REQ_RING_REF],
    ['XENDISPL_FIELD_REQ_CHANNEL', C.StoreField.REQ_CHANNEL],
    ['XENDISPL_FIELD_EVT_RING_REF', C.StoreField.EVT_RING_REF],
    ['XENDISPL_FIELD_EVT_CHANNEL', C.StoreField.EVT_CHANNEL],
    ['XENDISPL_FIELD_RESOLUTION', C.StoreField.RESOLUTION],
    ['XENDISPL_FIELD_BE_ALLOC', C.StoreField.BE_ALLOC],
    ['XENDISPL_FIELD_UNIQUE_ID', C.StoreField.UNIQUE_ID],
    ['XENDISPL_EVENT_PAGE_SIZE', C.EVENT_PAGE_SIZE],
    ['XENDISPL_IN_RING_OFFS', C.IN_RING_OFFS],
    ['XENDISPL_IN_RING_SIZE', C.IN_RING_SIZE],
    ['XENDISPL_IN_RING_LEN', C.IN_RING_LEN],
    ['PAGE_DIRECTORY_GREFS_PER_PAGE', C.PAGE_DIRECTORY_GREFS_PER_PAGE],
    ['LINUX_XEN_DRM_FRONT_WAIT_BACK_MS', C.Linux.WAIT_BACK_MS],
    ['LINUX_FRAME_DONE_TO_MS', C.Linux.FRAME_DONE_TO_MS],
    ['LINUX_XEN_DRM_FRONT_MAX_CRTCS', C.Linux.MAX_CRTCS],
    ['LINUX_GENERIC_OP_EVT_CHNL', C.Linux.GENERIC_OP_CONNECTOR],
    ['LINUX_MODE_CONFIG_MAX_WIDTH', C.Linux.MAX_WIDTH],
    ['LINUX_MODE_CONFIG_MAX_HEIGHT', C.Linux.MAX_HEIGHT],
    ['LINUX_XEN_DRM_CRTC_VREFRESH_HZ', C.Linux.VREFRESH_HZ],
    ['ERRNO_EIO', ERRNO.EIO],
    ['ERRNO_ENOMEM', ERRNO.ENOMEM],
    ['ERRNO_EINVAL', ERRNO.EINVAL],
    ['ERRNO_ENODEV', ERRNO.ENODEV],
    ['ERRNO_ETIMEDOUT', ERRNO.ETIMEDOUT],
    ['ERRNO_ENXIO', ERRNO.ENXIO],
    ['ERRNO_EAGAIN', ERRNO.EAGAIN],
    ...Object.entries(XenbusState).map(([name, value]): [string, unknown] => [`XenbusState${name}`, value]),
  ];

  it.each(pairs.filter(([name]) => name in k))('%s', (name, value) => {
    expect(value).toBe(k[name]);
  });

  it('covers every constant of the file that has a counterpart', () => {
    const covered = new Set(pairs.map(([name]) => name));
    const rest = Object.keys(k).filter((name) => !covered.has(name));
    expect(rest.sort()).toEqual(['XENDISPL_PROTOCOL_VERSION', 'linux_frontend_pixel_formats']);
    expect(String(k.XENDISPL_PROTOCOL_VERSION)).toBe(String(version));
  });

  it('pixel formats: the one table (protocol/formats.ts) has exactly the names and fourccs of the spec', () => {
    expect(Object.fromEntries(PIXEL_FORMATS.map((f) => [f.name, f.fourcc]))).toEqual(k.linux_frontend_pixel_formats);
  });
});

it('ring and packet sizes', () => {
  const ring = loadSpec(2).ring as unknown as Record<string, number>;
  expect(C.PAGE_SIZE).toBe(ring.page_size);
  expect(C.RING_HEADER_SIZE).toBe(ring.header_size);
  expect(C.RING_ENTRY_SIZE).toBe(ring.entry_size);
  expect(C.RING_SIZE).toBe(ring.slots);
  expect(C.PACKET_SIZE).toBe(64);
  expect(C.PROTOCOL_VERSION).toBe('2');
  expect(C.CONNECTOR_FIELDS).toEqual(['resolution', 'unique-id', 'req-ring-ref', 'req-event-channel', 'evt-ring-ref', 'evt-event-channel']);
});
