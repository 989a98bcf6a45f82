/** ISO-8601 UTC text, the one timestamp format of the store (portable across databases). */
export type Instant = string;

export function toInstant(ms: number): Instant {
  return new Date(ms).toISOString();
}

export function toMillis(instant: Instant): number {
  return Date.parse(instant);
}

export function addSeconds(instant: Instant, seconds: number): Instant {
  return toInstant(toMillis(instant) + seconds * 1000);
}

export function secondsBetween(from: Instant, to: Instant): number {
  return (toMillis(to) - toMillis(from)) / 1000;
}
