// What `pvdisplay info` reads from a device, through the same calls a libdrm client makes and in drm_info's order
// (client caps first, since they change what the resources list): driver, caps, resources, every connector /
// encoder / CRTC / plane with each property as GETPROPERTY describes it and its value, the bytes of the blobs they
// name and the framebuffers they show. Presenting it is text.ts's (modetest-like) and drm-info-json.ts's job.
import type { Card } from '../../frontend/client/card.js';
import { DRM_CAP, DRM_CLIENT_CAP, PROP } from '../../protocol/kms/constants.js';
import type { KmsOps } from '../../protocol/kms/ops.js';

export interface PropView {
  id: number;
  name: string;
  flags: number;
  /** GETPROPERTY's values: a range's bounds, an object property's object type. */
  values: number[];
  enums: { name: string; value: number }[];
  value: number;
  /** The bytes of the blob a non-zero blob property names (undefined when it cannot be read). */
  blob: Uint8Array | undefined;
}

/** GETFB2's answer, or GETFB's where a device has no GETFB2 (as drm_info falls back); null when neither answers. */
export type FbView = { fb2: KmsOps['MODE_GETFB2'][1] } | { fb: KmsOps['MODE_GETFB'][1] } | null;

async function propsOf(card: Card, objId: number): Promise<PropView[]> {
  const { props, prop_values } = await card.call('MODE_OBJ_GETPROPERTIES', { obj_id: objId, obj_type: 0 });
  return Promise.all(
    props.map(async (id, i) => {
      const p = await card.call('MODE_GETPROPERTY', { prop_id: id });
      const value = prop_values[i]!;
      const isBlob = (p.flags & PROP.BLOB) !== 0 && value !== 0;
      const blob = isBlob ? await card.call('MODE_GETPROPBLOB', { blob_id: value }).then((b) => b.data, () => undefined) : undefined;
      return { id, name: p.name, flags: p.flags, values: p.values, enums: p.enums, value, blob };
    }),
  );
}

async function fbOf(card: Card, fbId: number): Promise<FbView> {
  try {
    return { fb2: await card.call('MODE_GETFB2', { fb_id: fbId }) };
  } catch {
    return card.call('MODE_GETFB', { fb_id: fbId }).then((fb) => ({ fb }), () => null);
  }
}

export async function gather(card: Card) {
  const clientCaps: Record<string, boolean> = {};
  for (const [name, cap] of Object.entries(DRM_CLIENT_CAP)) {
    clientCaps[name] = await card.call('SET_CLIENT_CAP', { capability: cap, value: 1 }).then(() => true, () => false);
  }
  const version = await card.call('VERSION', {});
  const caps: Record<string, number | null> = {};
  for (const [name, cap] of Object.entries(DRM_CAP)) caps[name] = await card.call('GET_CAP', { capability: cap }).then((r) => r.value, () => null);
  const res = await card.call('MODE_GETRESOURCES', {});
  const withProps = async <T extends object>(info: T, id: number) => ({ ...info, properties: await propsOf(card, id) });
  const connectors = await Promise.all(res.connectors.map(async (id) => withProps(await card.call('MODE_GETCONNECTOR', { connector_id: id }), id)));
  const encoders = await Promise.all(res.encoders.map((id) => card.call('MODE_GETENCODER', { encoder_id: id })));
  const crtcs = await Promise.all(res.crtcs.map(async (id) => withProps(await card.call('MODE_GETCRTC', { crtc_id: id }), id)));
  const planeIds = (await card.call('MODE_GETPLANERESOURCES', {})).planes;
  const planes = await Promise.all(planeIds.map(async (id) => withProps(await card.call('MODE_GETPLANE', { plane_id: id }), id)));
  const framebuffers = new Map<number, FbView>();
  for (const p of planes) {
    const shown = [p.fb_id, ...p.properties.filter((q) => q.name === 'FB_ID').map((q) => q.value)];
    for (const id of shown) if (id !== 0 && !framebuffers.has(id)) framebuffers.set(id, await fbOf(card, id));
  }
  const status = await card.call('PVD_STATUS', {});
  return { version, resources: res, caps, clientCaps, connectors, encoders, crtcs, planes, framebuffers, status };
}

export type DeviceInfo = Awaited<ReturnType<typeof gather>>;
