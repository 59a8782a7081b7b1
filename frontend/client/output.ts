// Finding an output the way a simple KMS client does: the Nth connector, its preferred mode and the CRTC its
// encoder can drive.
import { CONNECTION } from '../../protocol/kms/constants.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import type { ConnectorInfo } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import type { Card } from './card.js';

export interface Output {
  connector: ConnectorInfo;
  crtcId: number;
  mode: ModeInfo;
}

export async function findOutput(card: Card, index: number): Promise<Output> {
  const res = await card.call('MODE_GETRESOURCES', {});
  const connectorId = res.connectors[index];
  if (connectorId === undefined) throw pvError('ENOENT', `no connector ${index} (the device has ${res.connectors.length})`);
  const connector = await card.call('MODE_GETCONNECTOR', { connector_id: connectorId });
  if (connector.connection !== CONNECTION.CONNECTED || connector.modes.length === 0) {
    throw pvError('ENODEV', `connector ${index} is not connected`);
  }
  const encoder = await card.call('MODE_GETENCODER', { encoder_id: connector.encoders[0]! });
  const crtcIndex = Math.log2(encoder.possible_crtcs & -encoder.possible_crtcs);
  const crtcId = res.crtcs[crtcIndex];
  if (crtcId === undefined) throw pvError('ENOENT', `encoder ${encoder.encoder_id} has no CRTC`);
  return { connector, crtcId, mode: connector.modes[0]! };
}
