// Test support: one call session on a WebSocket path over a recording port, as websocket.ts opens
// it for a socket, with the recording backend and metrics of testing/fakes.ts.
import type { Principal } from '../../../../core/auth/tokens.ts';
import type { UpgradeRequest } from '../messages.ts';
import type { GatewayLimits } from '../session.ts';
import { type CallPath, openCall } from '../websocket.ts';
import { RecordingPort, testIngress } from './fakes.ts';

export const OPERATOR: Principal = { kind: 'operator', defaultTenant: 'default' };

/** `principal` null: the upgrade carried no token (Twilio may authenticate in `start`). */
export function socketCall(
  path: CallPath,
  principal: Principal | null = OPERATOR,
  limits: Partial<GatewayLimits> = {},
  upgrade?: UpgradeRequest,
  ingress = testIngress(limits),
) {
  const port = new RecordingPort();
  const call = openCall(ingress.ctx, port, path, principal ?? undefined, upgrade);
  return { ...ingress, port, ...call };
}
