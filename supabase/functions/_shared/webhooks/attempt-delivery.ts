import { checkEndpointUrl, type EndpointPolicy, type ResolveHost } from './endpoint-url.ts';
import { signWebhook } from './sign-webhook.ts';

/** One claimed delivery, as `claim_webhook_deliveries` returns it. */
export type ClaimedDelivery = {
  delivery_id: string;
  attempt: number;
  retry_window_from: string;
  message_id: string;
  event_type: string;
  body: string;
  endpoint_id: string;
  url: string;
  secret: string;
};

export type AttemptOutcome = {
  startedAt: Date;
  responseStatus: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  succeeded: boolean;
};

export type AttemptPorts = {
  fetch: typeof fetch;
  resolve: ResolveHost;
  policy: EndpointPolicy;
  /** The whole attempt (connect, headers and the excerpt read) ends after this long. */
  timeoutMs: number;
  now: () => Date;
};

/** What the delivery log keeps of a receiver's answer. */
export const RESPONSE_EXCERPT_CHARS = 500;

/**
 * One attempt: check the URL's addresses again (DNS may have changed since registration), sign, POST,
 * and keep the status and the start of the answer. Only a 2xx counts; redirects are not followed (a 3xx
 * could point anywhere, the checked host included). Never throws: every failure is an outcome to log.
 */
export async function attemptDelivery(delivery: ClaimedDelivery, ports: AttemptPorts): Promise<AttemptOutcome> {
  const startedAt = ports.now();
  const outcome = (partial: Omit<AttemptOutcome, 'startedAt' | 'latencyMs'>): AttemptOutcome => ({
    startedAt,
    latencyMs: Math.max(0, ports.now().getTime() - startedAt.getTime()),
    ...partial,
  });
  const check = await checkEndpointUrl(delivery.url, ports.resolve, ports.policy);
  if (!check.ok) {
    return outcome({
      responseStatus: null,
      responseExcerpt: null,
      error: `Not sent: ${check.reason}`,
      succeeded: false,
    });
  }
  try {
    const response = await ports.fetch(delivery.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(ports.timeoutMs),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Baton-Webhooks/1',
        ...signWebhook(delivery.secret, delivery.message_id, startedAt, delivery.body),
      },
      body: delivery.body,
    });
    const excerpt = await readExcerpt(response);
    const succeeded = response.status >= 200 && response.status < 300;
    return outcome({
      responseStatus: response.status,
      responseExcerpt: excerpt,
      error: succeeded ? null : response.status >= 300 && response.status < 400 ? 'Redirects are not followed.' : null,
      succeeded,
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return outcome({
      responseStatus: null,
      responseExcerpt: null,
      error: timedOut ? `No answer within ${ports.timeoutMs} ms.` : `Request failed: ${String(error)}`.slice(0, 1000),
      succeeded: false,
    });
  }
}

/** The first RESPONSE_EXCERPT_CHARS characters of the answer; the rest is never read. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < RESPONSE_EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, RESPONSE_EXCERPT_CHARS);
}
