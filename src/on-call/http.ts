/**
 * What the on-call providers' adapters share: one GET with a timeout, turned into either the
 * JSON answer or a short reason a person can read on a card ("unreachable", "did not answer
 * within 3 s", "answered HTTP 500"). Never throws.
 */
export type Fetch = typeof fetch;

export interface ProviderCall {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  fetch: Fetch;
  /** Names the setting to fix on 401/403 (PAGERDUTY_TOKEN, OPSGENIE_API_KEY). */
  credential: string;
}

export async function getJson(call: ProviderCall): Promise<{ body: unknown } | { error: string }> {
  let response: Response;
  try {
    response = await call.fetch(call.url, { headers: { accept: 'application/json', ...call.headers }, redirect: 'error', signal: AbortSignal.timeout(call.timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || (error.cause instanceof Error && error.cause.name === 'TimeoutError'));
    return { error: timedOut ? `did not answer within ${call.timeoutMs / 1000} s` : 'unreachable' };
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return { error: `refused the credentials (HTTP ${response.status}): check ${call.credential}` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { error: `answered HTTP ${response.status}` };
  }
  try {
    return { body: await response.json() };
  } catch {
    return { error: 'gave an answer that is not JSON' };
  }
}
