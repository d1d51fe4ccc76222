import { Webhook } from 'standardwebhooks';

/**
 * The three headers of the Standard Webhooks specification, from its own library: `webhook-id` (the
 * message's id, the same on every attempt, receivers deduplicate on it), `webhook-timestamp` (this
 * attempt, in seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the
 * secret's bytes).
 */
export function signWebhook(secret: string, messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}

/** A new signing secret: `whsec_` + base64 of 24 random bytes (as Standard Webhooks libraries make them). */
export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
