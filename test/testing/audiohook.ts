// The e2e tests' Genesys AudioHook client: the signed upgrade Genesys sends, then messages numbered
// as Genesys's client numbers them.
import { audiohookHeaders, SESSION, type SignOptions } from '../../core/auth/testing/audiohook.ts';
import type { App } from '../../services/live/app.ts';
import { type Client, connect } from './e2e.ts';

/**
 * A Genesys AudioHook session on `app`: a client connected with the upgrade headers Genesys sends
 * (`sign`: audiohookHeaders' options, host and target the app's unless given), and a sender that
 * numbers the client's messages (seq) from 1.
 */
export async function audiohookSession(
  app: App,
  sign: Omit<SignOptions, 'host' | 'target'> & Partial<Pick<SignOptions, 'host' | 'target'>>,
): Promise<{ c: Client; send: (type: string, parameters: object, position?: string) => void }> {
  const headers = audiohookHeaders({ host: new URL(app.urls.http!).host, target: '/audiohook', ...sign });
  const c = connect(app.urls.audiohook!, headers as Record<string, string>);
  await c.opened;
  const id = sign.sessionId ?? SESSION;
  let seq = 0;
  const send = (type: string, parameters: object, position = 'PT0S') =>
    c.ws.send(JSON.stringify({ version: '2', id, type, seq: ++seq, serverseq: 0, position, parameters }));
  return { c, send };
}
