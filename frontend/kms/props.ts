// The standard properties of this device and how each reads from and writes to an object's state: connectors (EDID,
// DPMS, link-status, CRTC_ID), CRTCs (ACTIVE, MODE_ID) and planes (type, FB_ID, CRTC_ID, SRC_*, CRTC_*, IN_FORMATS,
// FB_DAMAGE_CLIPS), as the kernel names and types them.
import { DPMS, LINK_STATUS, OBJECT_TYPE, PLANE_TYPE } from '../../protocol/kms/constants.js';
import { decodeModeInfo, decodeRects } from '../../protocol/kms/blobs.js';
import { pvError } from '../../shared/errors.js';
import * as native from '../../shared/native/index.js';
import type { Blob, Blobs } from './blob.js';
import type { Connector } from './connector.js';
import type { Crtc } from './crtc.js';
import type { Framebuffer } from './framebuffer.js';
import type { ModeObject, ModeObjects } from './mode-objects.js';
import type { Plane } from './plane.js';
import { Property, type PropertyKind } from './property.js';
import type { AtomicState } from './state.js';

const U32 = 0xffffffff;
const INT_MAX = 0x7fffffff;

export type KmsState = AtomicState<Crtc, Plane, Connector>;

export interface PropContext {
  objects: ModeObjects;
  blobs: Blobs;
}

export class StdProps {
  readonly all: Property[] = [];
  readonly edid: Property;
  readonly dpms: Property;
  readonly linkStatus: Property;
  readonly connectorCrtc: Property;
  readonly active: Property;
  readonly modeId: Property;
  readonly outFence: Property;
  readonly inFence: Property;
  readonly type: Property;
  readonly fbId: Property;
  readonly planeCrtc: Property;
  readonly src: [Property, Property, Property, Property];
  readonly crtcRect: [Property, Property, Property, Property];
  readonly inFormats: Property;
  readonly damage: Property;

  constructor(objects: ModeObjects) {
    const make = (name: string, type: PropertyKind, opts: { immutable?: boolean; atomic?: boolean } = {}) => {
      const p = objects.add(new Property(objects.allocate(), name, type, opts.immutable ?? false, opts.atomic ?? false));
      this.all.push(p);
      return p;
    };
    const range = (min: number, max: number): PropertyKind => ({ kind: 'range', min, max });
    this.edid = make('EDID', { kind: 'blob' }, { immutable: true });
    this.dpms = make('DPMS', { kind: 'enum', values: [{ name: 'On', value: DPMS.ON }, { name: 'Standby', value: DPMS.STANDBY }, { name: 'Suspend', value: DPMS.SUSPEND }, { name: 'Off', value: DPMS.OFF }] });
    this.linkStatus = make('link-status', { kind: 'enum', values: [{ name: 'Good', value: LINK_STATUS.GOOD }, { name: 'Bad', value: LINK_STATUS.BAD }] });
    this.connectorCrtc = make('CRTC_ID', { kind: 'object', objectType: OBJECT_TYPE.CRTC }, { atomic: true });
    this.active = make('ACTIVE', range(0, 1), { atomic: true });
    this.modeId = make('MODE_ID', { kind: 'blob' }, { atomic: true });
    // The kernel's value is a user pointer; here any non-zero value asks for a fence, which the reply carries.
    this.outFence = make('OUT_FENCE_PTR', range(0, Number.MAX_SAFE_INTEGER), { atomic: true });
    // The kernel's value is an fd of the caller; here it indexes the fds attached to the MODE_ATOMIC request.
    this.inFence = make('IN_FENCE_FD', { kind: 'signed-range', min: -1, max: INT_MAX }, { atomic: true });
    this.type = make('type', { kind: 'enum', values: [{ name: 'Overlay', value: PLANE_TYPE.OVERLAY }, { name: 'Primary', value: PLANE_TYPE.PRIMARY }, { name: 'Cursor', value: PLANE_TYPE.CURSOR }] }, { immutable: true });
    this.fbId = make('FB_ID', { kind: 'object', objectType: OBJECT_TYPE.FB }, { atomic: true });
    this.planeCrtc = make('CRTC_ID', { kind: 'object', objectType: OBJECT_TYPE.CRTC }, { atomic: true });
    this.src = [make('SRC_X', range(0, U32), { atomic: true }), make('SRC_Y', range(0, U32), { atomic: true }), make('SRC_W', range(0, U32), { atomic: true }), make('SRC_H', range(0, U32), { atomic: true })];
    this.crtcRect = [
      make('CRTC_X', { kind: 'signed-range', min: -INT_MAX - 1, max: INT_MAX }, { atomic: true }),
      make('CRTC_Y', { kind: 'signed-range', min: -INT_MAX - 1, max: INT_MAX }, { atomic: true }),
      make('CRTC_W', range(0, INT_MAX), { atomic: true }),
      make('CRTC_H', range(0, INT_MAX), { atomic: true }),
    ];
    this.inFormats = make('IN_FORMATS', { kind: 'blob' }, { immutable: true });
    this.damage = make('FB_DAMAGE_CLIPS', { kind: 'blob' }, { atomic: true });
  }

  /** The properties an object carries, with their committed values, in the kernel's attach order. */
  list(obj: ModeObject, inFormatsBlob: Blob | null): [Property, number][] {
    const id = (x: { id: number } | null) => x?.id ?? 0;
    switch (obj.objectType) {
      case OBJECT_TYPE.CONNECTOR: {
        const c = obj as Connector;
        return [
          [this.edid, id(c.edidBlob)],
          [this.dpms, c.state.dpms],
          [this.linkStatus, c.state.linkStatus],
          [this.connectorCrtc, c.state.crtcId],
        ];
      }
      case OBJECT_TYPE.CRTC: {
        const c = obj as Crtc;
        return [
          [this.active, c.state.active ? 1 : 0],
          [this.modeId, id(c.state.modeBlob)],
          [this.outFence, 0],
        ];
      }
      case OBJECT_TYPE.PLANE: {
        const p = obj as Plane;
        const s = p.state;
        return [
          [this.type, p.planeType],
          [this.fbId, id(s.fb)],
          [this.inFence, -1],
          [this.planeCrtc, s.crtcId],
          [this.src[0], s.srcX],
          [this.src[1], s.srcY],
          [this.src[2], s.srcW],
          [this.src[3], s.srcH],
          [this.crtcRect[0], s.crtcX],
          [this.crtcRect[1], s.crtcY],
          [this.crtcRect[2], s.crtcW],
          [this.crtcRect[3], s.crtcH],
          [this.inFormats, id(inFormatsBlob)],
          [this.damage, id(s.damage)],
        ];
      }
      default:
        return [];
    }
  }

  /**
   * Writes one property value into the commit's state (drm_atomic_set_property): EINVAL for a value the property
   * cannot take, an object of the wrong type, or a blob of the wrong size. DPMS is not settable through atomic.
   */
  set(ctx: PropContext, st: KmsState, obj: ModeObject, prop: Property, value: number, fds: readonly number[] = []): void {
    prop.check(value);
    const objectOf = <T extends ModeObject>(type: number, what: string): T | null => {
      if (value === 0) return null;
      const o = ctx.objects.find(value);
      if (!o || o.objectType !== type) throw pvError('EINVAL', `${prop.name}: ${value} is not a ${what}`);
      return o as T;
    };
    const blobOf = (): Blob | null => {
      if (value === 0) return null;
      const o = ctx.objects.find(value);
      if (!o || o.objectType !== OBJECT_TYPE.BLOB) throw pvError('EINVAL', `${prop.name}: ${value} is not a blob`);
      return o as Blob;
    };
    if (prop.immutable) throw pvError('EINVAL', `${prop.name} is immutable`);
    if (obj.objectType === OBJECT_TYPE.CONNECTOR) {
      const s = st.connector(obj as Connector);
      if (prop === this.connectorCrtc) s.crtcId = objectOf<Crtc>(OBJECT_TYPE.CRTC, 'CRTC')?.id ?? 0;
      else if (prop === this.linkStatus) {
        // Userspace may only ask for Good (a retrain); a write of Bad is accepted and ignored (K-LS-05).
        if (value === LINK_STATUS.GOOD) s.linkStatus = LINK_STATUS.GOOD;
      } else if (prop === this.dpms) throw pvError('EINVAL', 'DPMS is set through the legacy property call, not atomic');
      return;
    }
    if (obj.objectType === OBJECT_TYPE.CRTC) {
      const s = st.crtc(obj as Crtc);
      if (prop === this.active) s.active = value === 1;
      else if (prop === this.outFence) {
        if (value !== 0) st.outFences.add(obj as Crtc);
        else st.outFences.delete(obj as Crtc);
      }
      else if (prop === this.modeId) {
        const blob = blobOf();
        const mode = blob ? decodeModeInfo(blob.data) : null;
        if (blob && !mode) throw pvError('EINVAL', `MODE_ID blob of ${blob.data.length} bytes is not a drm_mode_modeinfo`);
        s.modeBlob = blob;
        s.mode = mode ?? null;
      }
      return;
    }
    const s = st.plane(obj as Plane);
    if (prop === this.inFence) {
      const old = st.inFences.get(obj as Plane);
      if (old !== undefined) native.close(old);
      st.inFences.delete(obj as Plane);
      if (value === -1) return;
      const fd = fds[value];
      if (fd === undefined) throw pvError('EINVAL', `IN_FENCE_FD ${value}: the request carries ${fds.length} fds`);
      st.inFences.set(obj as Plane, native.dup(fd));
      return;
    }
    if (prop === this.fbId) s.fb = objectOf<Framebuffer>(OBJECT_TYPE.FB, 'framebuffer');
    else if (prop === this.planeCrtc) s.crtcId = objectOf<Crtc>(OBJECT_TYPE.CRTC, 'CRTC')?.id ?? 0;
    else if (prop === this.src[0]) s.srcX = value;
    else if (prop === this.src[1]) s.srcY = value;
    else if (prop === this.src[2]) s.srcW = value;
    else if (prop === this.src[3]) s.srcH = value;
    else if (prop === this.crtcRect[0]) s.crtcX = value;
    else if (prop === this.crtcRect[1]) s.crtcY = value;
    else if (prop === this.crtcRect[2]) s.crtcW = value;
    else if (prop === this.crtcRect[3]) s.crtcH = value;
    else if (prop === this.damage) {
      const blob = blobOf();
      if (blob && !decodeRects(blob.data)) throw pvError('EINVAL', 'FB_DAMAGE_CLIPS blob is not an array of drm_mode_rect');
      s.damage = blob;
    }
  }
}
