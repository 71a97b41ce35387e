// Twilio's request signature on a Media Streams WebSocket upgrade: `X-Twilio-Signature` is the
// base64 HMAC-SHA1, keyed with the account's auth token, of the URL Twilio connected to (a GET
// carries no form parameters to append). Per-tenant auth tokens:
// VOICEPULSE_TWILIO_AUTH_TOKENS="acme=<auth token>,…"; a valid signature makes the connection that
// tenant's. Hand-written: it is one HMAC, and the `twilio` SDK is a large dependency for it.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Whether `signature` is the account's signature of one of `urls` (the forms a proxy may present). */
export function twilioSignatureMatches(
  authToken: string,
  signature: string,
  urls: readonly string[],
): boolean {
  const given = Buffer.from(signature, 'base64');
  let ok = false;
  for (const url of urls) {
    const expected = createHmac('sha1', authToken).update(url).digest();
    // Every candidate is checked, so the time taken does not say which matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}

/**
 * The URLs Twilio may have signed for an upgrade of `target` (path and query) on `host`: the wss://
 * URL of the TwiML, and its https:// twin, each with and without the scheme's default port.
 */
export function twilioSignedUrls(host: string, target: string): string[] {
  const bare = host.replace(/:(443|80)$/, '');
  const forms = new Set<string>();
  for (const scheme of ['wss', 'https'])
    for (const h of [bare, `${bare}:443`, host]) forms.add(`${scheme}://${h}${target}`);
  return [...forms];
}
