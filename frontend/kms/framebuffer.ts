// Framebuffers: a GEM object seen with a format, size, pitch and offset; owned by the file that added it and
// attached on the backend under its own cookie.
import { OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { PixelFormat } from '../../protocol/formats.js';
import type { GemObject } from './gem.js';
import type { ModeObject } from './mode-objects.js';

export class Framebuffer implements ModeObject {
  readonly objectType = OBJECT_TYPE.FB;

  constructor(
    readonly id: number,
    readonly owner: object,
    readonly gem: GemObject,
    readonly cookie: bigint,
    readonly width: number,
    readonly height: number,
    readonly format: PixelFormat,
    readonly pitch: number,
    readonly offset: number,
  ) {}
}
