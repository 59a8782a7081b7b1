// The client library's public surface: what an app imports to drive a pvdisplay device node.
export { Card, type CardEvents } from './card.js';
export { BufferMapping } from './mapping.js';
export { DRM_CAP, PAGE_FLIP, EVENT_TYPE, CONNECTION, OBJECT_TYPE } from '../../protocol/kms/constants.js';
export type { VblankEvent, SequenceEvent, KmsEvent } from '../../protocol/kms/event.js';
export type { ModeInfo } from '../../protocol/kms/mode-info.js';
export type { KmsOp, KmsArgs, KmsResult, ConnectorInfo, CrtcInfo, PlaneInfo } from '../../protocol/kms/ops.js';
export { XRGB8888, PIXEL_FORMATS, formatByFourcc, fourccToString } from '../../protocol/formats.js';
