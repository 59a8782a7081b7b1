// The client library's public surface: what an app imports to drive a pvdisplay device node.
export { Card, type CardEvents, type Uevent } from './card.js';
export { BufferMapping } from './mapping.js';
export { AtomicRequest, propertyIds, commitAtomic } from './atomic.js';
export { findOutput, type Output } from './output.js';
export { DRM_CAP, DRM_CLIENT_CAP, PAGE_FLIP, EVENT_TYPE, CONNECTION, OBJECT_TYPE, ATOMIC_FLAGS, DPMS, LINK_STATUS, VBLANK, PROP } from '../../protocol/kms/constants.js';
export { encodeModeInfo, decodeModeInfo, encodeRects } from '../../protocol/kms/blobs.js';
export type { VblankEvent, SequenceEvent, KmsEvent } from '../../protocol/kms/event.js';
export type { ModeInfo } from '../../protocol/kms/mode-info.js';
export type { KmsOp, KmsArgs, KmsResult, ConnectorInfo, CrtcInfo, PlaneInfo } from '../../protocol/kms/ops.js';
export { XRGB8888, PIXEL_FORMATS, formatByFourcc, fourccToString } from '../../protocol/formats.js';
