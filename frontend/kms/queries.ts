// The read-only side of the device and the client's settings: VERSION, caps, resources, connectors, encoders,
// CRTCs, planes (primary planes only with UNIVERSAL_PLANES), properties and their values (atomic ones only with
// ATOMIC), and property blobs (create / get / destroy).
import { DRM_CAP, DRM_CLIENT_CAP, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import type { Connector } from './connector.js';
import { MAX_HEIGHT, MAX_WIDTH, type KmsDevice } from './device.js';
import type { Encoder } from './encoder.js';
import type { DrmFile } from './file.js';
import type { Plane } from './plane.js';
import type { Property } from './property.js';

type Empty = Record<string, never>;

export function version(dev: KmsDevice): KmsResult<'VERSION'> {
  return { ...DRIVER_VERSION, patch: 0, name: 'pvdisplay', date: '20261121', desc: `Para-virtual display (displif v${dev.backend.version})` };
}

const CAPS: Record<number, number> = {
  [DRM_CAP.DUMB_BUFFER]: 1,
  [DRM_CAP.VBLANK_HIGH_CRTC]: 1,
  [DRM_CAP.DUMB_PREFERRED_DEPTH]: 24,
  [DRM_CAP.DUMB_PREFER_SHADOW]: 0,
  [DRM_CAP.PRIME]: 3, // IMPORT | EXPORT
  [DRM_CAP.TIMESTAMP_MONOTONIC]: 1,
  [DRM_CAP.ASYNC_PAGE_FLIP]: 0,
  [DRM_CAP.CURSOR_WIDTH]: 64,
  [DRM_CAP.CURSOR_HEIGHT]: 64,
  [DRM_CAP.ADDFB2_MODIFIERS]: 1, // LINEAR, as IN_FORMATS says
  [DRM_CAP.PAGE_FLIP_TARGET]: 0,
  [DRM_CAP.CRTC_IN_VBLANK_EVENT]: 1,
  // The kernel answers these for every driver: 0 without DRIVER_SYNCOBJ(_TIMELINE), and no atomic async flips.
  [DRM_CAP.SYNCOBJ]: 0,
  [DRM_CAP.SYNCOBJ_TIMELINE]: 0,
  [DRM_CAP.ATOMIC_ASYNC_PAGE_FLIP]: 0,
};

/** DRM_IF_MAJOR / DRM_IF_MINOR (drm_ioctl.c) and the driver's own version (VERSION's major / minor). */
const IF_VERSION = { major: 1, minor: 4 };
const DRIVER_VERSION = { major: 1, minor: 1 };
/** The bus id GET_UNIQUE answers after SET_VERSION 1.1+ (a platform device's name, as drm_set_busid takes it). */
const UNIQUE = 'pvdisplay';

export function getCap(a: KmsArgs<'GET_CAP'>): KmsResult<'GET_CAP'> {
  const value = CAPS[a.capability];
  if (value === undefined) throw pvError('EINVAL', `unknown capability ${a.capability}`);
  return { value };
}

/** drm_getunique: empty until this file's SET_VERSION asked for interface 1.1 or later (libdrm's drmOpenByName relies on it). */
export function getUnique(file: DrmFile): KmsResult<'GET_UNIQUE'> {
  return { unique: file.busidSet ? UNIQUE : '' };
}

/**
 * drm_setversion (master only): -1 means "any"; an interface other than 1.0..1.4, or a driver version above ours,
 * is EINVAL; 1.1+ ties the file to its bus id. The reply is always the versions we speak.
 */
export function setVersion(dev: KmsDevice, file: DrmFile, a: KmsArgs<'SET_VERSION'>): KmsResult<'SET_VERSION'> {
  dev.requireMaster(file);
  if (a.di_major !== -1) {
    if (a.di_major !== IF_VERSION.major || a.di_minor < 0 || a.di_minor > IF_VERSION.minor) throw pvError('EINVAL', `interface ${a.di_major}.${a.di_minor} is not 1.0..1.4`);
    if (a.di_minor >= 1) file.busidSet = true;
  }
  if (a.dd_major !== -1 && (a.dd_major !== DRIVER_VERSION.major || a.dd_minor < 0 || a.dd_minor > DRIVER_VERSION.minor)) {
    throw pvError('EINVAL', `driver version ${a.dd_major}.${a.dd_minor} is not 1.0..1.1`);
  }
  return { di_major: IF_VERSION.major, di_minor: IF_VERSION.minor, dd_major: DRIVER_VERSION.major, dd_minor: DRIVER_VERSION.minor };
}

/** K-MA-15: unknown caps and values above 1 (ATOMIC: 2) are EINVAL; ATOMIC brings UNIVERSAL_PLANES and ASPECT_RATIO. */
export function setClientCap(file: DrmFile, a: KmsArgs<'SET_CLIENT_CAP'>): Empty {
  const known: number[] = Object.values(DRM_CLIENT_CAP);
  if (!known.includes(a.capability)) throw pvError('EINVAL', `unknown client cap ${a.capability}`);
  if (a.value > (a.capability === DRM_CLIENT_CAP.ATOMIC ? 2 : 1)) throw pvError('EINVAL', `client cap ${a.capability} cannot be ${a.value}`);
  if (a.capability === DRM_CLIENT_CAP.WRITEBACK_CONNECTORS && !file.atomic) throw pvError('EINVAL', 'WRITEBACK_CONNECTORS needs the ATOMIC cap first');
  file.clientCaps.set(a.capability, a.value);
  if (a.capability === DRM_CLIENT_CAP.ATOMIC && a.value) {
    file.clientCaps.set(DRM_CLIENT_CAP.UNIVERSAL_PLANES, 1);
    file.clientCaps.set(DRM_CLIENT_CAP.ASPECT_RATIO, 1);
  }
  return {};
}

export function resources(dev: KmsDevice, file: DrmFile): KmsResult<'MODE_GETRESOURCES'> {
  return {
    fbs: [...file.fbs].map((fb) => fb.id),
    crtcs: dev.crtcs.map((c) => c.id),
    connectors: dev.connectors.map((c) => c.id),
    encoders: dev.encoders.map((e) => e.id),
    min_width: 0,
    max_width: MAX_WIDTH,
    min_height: 0,
    max_height: MAX_HEIGHT,
  };
}

export function connector(dev: KmsDevice, a: KmsArgs<'MODE_GETCONNECTOR'>): KmsResult<'MODE_GETCONNECTOR'> {
  return dev.objects.lookup<Connector>(a.connector_id, OBJECT_TYPE.CONNECTOR, 'connector').info();
}

export function encoder(dev: KmsDevice, a: KmsArgs<'MODE_GETENCODER'>): KmsResult<'MODE_GETENCODER'> {
  const enc = dev.objects.lookup<Encoder>(a.encoder_id, OBJECT_TYPE.ENCODER, 'encoder');
  return enc.info(dev.connectors[enc.crtcIndex]!.state.crtcId === enc.crtcId);
}

export function crtc(dev: KmsDevice, a: KmsArgs<'MODE_GETCRTC'>): KmsResult<'MODE_GETCRTC'> {
  return dev.crtcById(a.crtc_id).info();
}

/** Primary planes are visible only to clients that set UNIVERSAL_PLANES, as in the kernel. */
export function planeResources(dev: KmsDevice, file: DrmFile): KmsResult<'MODE_GETPLANERESOURCES'> {
  return { planes: file.cap(DRM_CLIENT_CAP.UNIVERSAL_PLANES) ? dev.planes.map((p) => p.id) : [] };
}

export function plane(dev: KmsDevice, a: KmsArgs<'MODE_GETPLANE'>): KmsResult<'MODE_GETPLANE'> {
  return dev.objects.lookup<Plane>(a.plane_id, OBJECT_TYPE.PLANE, 'plane').info();
}

export function getProperty(dev: KmsDevice, a: KmsArgs<'MODE_GETPROPERTY'>): KmsResult<'MODE_GETPROPERTY'> {
  return dev.objects.lookup<Property>(a.prop_id, OBJECT_TYPE.PROPERTY, 'property').info();
}

/** Object types that carry a property list (the kernel's obj->properties); the others answer EINVAL. */
const WITH_PROPERTIES: number[] = [OBJECT_TYPE.CONNECTOR, OBJECT_TYPE.CRTC, OBJECT_TYPE.PLANE];

/**
 * K-OBJ-01: unknown object (or of another type than asked) ENOENT; a type without properties (encoder, fb, blob)
 * EINVAL. Without the ATOMIC cap the atomic properties are left out, which may leave none (a CRTC): that is `[]`.
 */
export function objGetProperties(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_OBJ_GETPROPERTIES'>): KmsResult<'MODE_OBJ_GETPROPERTIES'> {
  const obj = dev.objects.find(a.obj_id);
  if (!obj || (a.obj_type !== 0 && obj.objectType !== a.obj_type)) throw pvError('ENOENT', `no object ${a.obj_id}${a.obj_type ? ' of that type' : ''}`);
  if (!WITH_PROPERTIES.includes(obj.objectType)) throw pvError('EINVAL', `object ${a.obj_id} has no properties`);
  const list = dev.props.list(obj, dev.inFormats).filter(([p]) => file.atomic || !p.atomic);
  return { props: list.map(([p]) => p.id), prop_values: list.map(([, v]) => v) };
}

/** K-OBJ-04: with a length that is not the blob's, nothing is copied and the real length is returned. */
export function getPropBlob(dev: KmsDevice, a: KmsArgs<'MODE_GETPROPBLOB'>): KmsResult<'MODE_GETPROPBLOB'> {
  const blob = dev.blobs.get(a.blob_id);
  if (a.length !== undefined && a.length !== blob.data.length) return { length: blob.data.length };
  return { length: blob.data.length, data: blob.data };
}

export function createPropBlob(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_CREATEPROPBLOB'>): KmsResult<'MODE_CREATEPROPBLOB'> {
  return { blob_id: dev.blobs.create(a.data, file).id };
}

export function destroyPropBlob(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_DESTROYPROPBLOB'>): Empty {
  dev.blobs.destroy(a.blob_id, file);
  return {};
}
