// DRM_IOCTL_MODE_ATOMIC: the flattened object / property arrays as the kernel takes them, checked in the kernel's
// order (permissions, flags, objects, properties, the state check) before anything changes.
import { ATOMIC_FLAGS, ATOMIC_FLAGS_MASK, DRM_CLIENT_CAP, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import { pvError } from '../../shared/errors.js';
import { checkCommit } from './check.js';
import { commit } from './commit.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';
import { Property } from './property.js';
import { AtomicState } from './state.js';
import type { KmsState } from './props.js';
import type { Fence } from '../../shared/fence.js';
import * as native from '../../shared/native/index.js';

export interface AtomicArgs {
  flags: number;
  objs: number[];
  count_props: number[];
  props: number[];
  prop_values: number[];
  reserved: number;
  user_data: bigint;
}

/** Object types that carry properties; ids of others (fbs, blobs, modes) are ENOENT in an atomic request. */
const WITH_PROPS: number[] = [OBJECT_TYPE.CRTC, OBJECT_TYPE.CONNECTOR, OBJECT_TYPE.PLANE];

export interface AtomicOutcome {
  /** Per CRTC that set OUT_FENCE_PTR: the fence (null for TEST_ONLY, whose slot the kernel leaves at -1). */
  outFences: { crtcId: number; fence: Fence | null }[];
}

/** `fds` are the fds the request carried; IN_FENCE_FD values index them. */
export async function atomicCommit(dev: KmsDevice, file: DrmFile, a: AtomicArgs, fds: readonly number[] = []): Promise<AtomicOutcome> {
  dev.requireMaster(file);
  if (!file.cap(DRM_CLIENT_CAP.ATOMIC)) throw pvError('EINVAL', 'the ATOMIC client cap is not set');
  if (a.flags & ~ATOMIC_FLAGS_MASK) throw pvError('EINVAL', `unknown atomic flags 0x${a.flags.toString(16)}`);
  if (a.reserved !== 0) throw pvError('EINVAL', 'reserved must be 0');
  if (a.flags & ATOMIC_FLAGS.PAGE_FLIP_ASYNC) throw pvError('EINVAL', 'async commits are not supported');
  const event = (a.flags & ATOMIC_FLAGS.PAGE_FLIP_EVENT) !== 0;
  const testOnly = (a.flags & ATOMIC_FLAGS.TEST_ONLY) !== 0;
  if (testOnly && event) throw pvError('EINVAL', 'TEST_ONLY cannot ask for events');
  const total = a.count_props.reduce((n, c) => n + c, 0);
  if (a.count_props.length !== a.objs.length || a.props.length !== total || a.prop_values.length !== total) {
    throw pvError('EFAULT', 'objs, count_props, props and prop_values do not line up');
  }
  const st = new AtomicState<(typeof dev.crtcs)[number], (typeof dev.planes)[number], (typeof dev.connectors)[number]>();
  try {
    return await run(dev, file, a, fds, st, event, testOnly);
  } finally {
    // Fences the commit did not take over (a failed check, TEST_ONLY) are this call's to close.
    for (const fd of st.inFences.values()) native.close(fd);
  }
}

async function run(dev: KmsDevice, file: DrmFile, a: AtomicArgs, fds: readonly number[], st: KmsState, event: boolean, testOnly: boolean): Promise<AtomicOutcome> {
  let k = 0;
  for (let i = 0; i < a.objs.length; i++) {
    const obj = dev.objects.find(a.objs[i]!);
    if (!obj || !WITH_PROPS.includes(obj.objectType)) throw pvError('ENOENT', `no object with properties has id ${a.objs[i]}`);
    // An object named with no properties still joins the commit (a CRTC gets its event).
    if (obj.objectType === OBJECT_TYPE.CRTC) st.crtc(dev.crtcById(obj.id));
    const attached = dev.props.list(obj, dev.inFormats).map(([p]) => p);
    for (let j = 0; j < a.count_props[i]!; j++, k++) {
      const prop = dev.objects.find(a.props[k]!);
      if (!(prop instanceof Property) || !attached.includes(prop)) throw pvError('ENOENT', `object ${obj.id} has no property ${a.props[k]}`);
      dev.props.set(dev, st, obj, prop, a.prop_values[k]!, fds);
    }
  }
  if (event && st.crtcs.size === 0 && st.planes.size === 0 && st.connectors.size === 0) throw pvError('EINVAL', 'an event needs a CRTC in the commit');
  const checked = checkCommit(dev, st, { allowModeset: (a.flags & ATOMIC_FLAGS.ALLOW_MODESET) !== 0, event });
  if (event && checked.crtcs.length === 0) throw pvError('EINVAL', 'an event needs a CRTC in the commit');
  if (testOnly) return { outFences: [...st.outFences].map((c) => ({ crtcId: c.id, fence: null })) };
  const { outFences } = await commit(dev, st, checked, {
    event: event ? { file, userData: a.user_data } : undefined,
    nonblock: (a.flags & ATOMIC_FLAGS.NONBLOCK) !== 0,
  });
  return { outFences: [...outFences].map(([c, fence]) => ({ crtcId: c.id, fence })) };
}
