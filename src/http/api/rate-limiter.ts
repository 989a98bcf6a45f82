/**
 * Token buckets by key (an API token, a remote address): `burst` calls at once, refilled at
 * `perMinute`. In memory, per instance: with several instances behind a load balancer each
 * applies the limit on its own.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();

  constructor(private readonly options: { perMinute: number; burst: number; now?: () => number }) {}

  /** Takes one call; returns 0 when allowed, else the seconds until the next call would be. */
  take(key: string): number {
    const now = this.options.now?.() ?? Date.now();
    const ratePerMs = this.options.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updatedMs: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.updatedMs) * ratePerMs);
    bucket.updatedMs = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    this.forgetFullBuckets(now, ratePerMs);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
  }

  // Keeps the map bounded under a flood of distinct keys: full buckets carry no state.
  private forgetFullBuckets(now: number, ratePerMs: number): void {
    if (this.buckets.size < 10_000) return;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedMs) * ratePerMs >= this.options.burst) this.buckets.delete(key);
    }
  }
}
