/**
 * What a ChatPort throws when a send fails. `retryAfterMs` carries the platform's Retry-After;
 * `permanent` marks failures that retrying cannot fix (unknown user, invalid card); `skip` marks
 * deliveries that should not happen at all (a deactivated user, a bot) and count as done.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly options: { retryAfterMs?: number; permanent?: boolean; skip?: boolean; status?: number } = {},
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

// Backoff for failures without a Retry-After: 2 s doubling, capped at 10 min; jitter spreads
// retries of many deliveries so they do not hit the platform together.
const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 10 * 60_000;

export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempts, 20));
  return Math.round(exponential * (0.75 + random() * 0.5));
}

/** How long to wait before the next attempt after `error` on attempt number `attempts` (0-based). */
export function retryDelayMs(error: unknown, attempts: number): number {
  const hinted = error instanceof DeliveryError ? error.options.retryAfterMs : undefined;
  return Math.max(hinted ?? 0, hinted !== undefined ? 0 : backoffMs(attempts));
}
