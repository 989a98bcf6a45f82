import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REQUEST_STATUSES } from '../core/model.js';
import type { Delivery } from '../core/ports.js';
import type { AttemptOutcome } from '../delivery/dispatcher.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { ALL_PLATFORMS } from '../store/outbox.js';
import type { Clock } from '../core/ports.js';
import { toMillis } from '../core/time.js';

// Gauges of one scrape share one database read; a later scrape reads again.
const SCRAPE_REUSE_MS = 1000;

/**
 * Prometheus metrics of one instance. Counts of requests and grants by status and the outbox
 * backlog are read from the database at scrape time (the same for every instance); decision
 * times, deliveries, 429s and hook failures are what this instance saw.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly timeToDecision: Histogram<'outcome'>;
  private readonly deliveries: Counter<'platform' | 'outcome'>;
  private readonly rateLimited: Counter<'platform'>;
  private readonly hookFailures: Counter<'outcome'>;

  constructor(store: KyselyStore, clock: Clock) {
    collectDefaultMetrics({ register: this.registry, prefix: 'elevate_' });
    const registers = [this.registry];
    // One read of the database per scrape, shared by the gauges below (they collect one by one).
    let scrape: { atMs: number; now: string; data: Promise<[Awaited<ReturnType<KyselyStore['countByStatus']>>, Awaited<ReturnType<KyselyStore['outboxStats']>>]> } | undefined;
    const read = () => {
      if (!scrape || Date.now() - scrape.atMs > SCRAPE_REUSE_MS) {
        const now = clock.now();
        scrape = { atMs: Date.now(), now, data: Promise.all([store.countByStatus(), store.outboxStats(now)]) };
      }
      return scrape;
    };
    new Gauge({
      name: 'elevate_requests', help: 'Access requests by status (outcome), all instances', labelNames: ['status'], registers,
      async collect() {
        const [{ requests }] = await read().data;
        for (const status of REQUEST_STATUSES) this.set({ status }, requests[status] ?? 0);
      },
    });
    new Gauge({
      name: 'elevate_active_grants', help: 'Grants active now, all instances', registers,
      async collect() {
        this.set((await read().data)[0].grants.active ?? 0);
      },
    });
    new Gauge({
      name: 'elevate_outbox_backlog', help: 'Deliveries (chat and hooks) not yet done, all instances', registers,
      async collect() {
        this.set((await read().data)[1].pending);
      },
    });
    new Gauge({
      name: 'elevate_outbox_oldest_age_seconds', help: 'Age of the oldest delivery not yet done (0 when none)', registers,
      async collect() {
        const { now, data } = read();
        const { oldestCreatedAt } = (await data)[1];
        this.set(oldestCreatedAt === null ? 0 : (toMillis(now) - toMillis(oldestCreatedAt)) / 1000);
      },
    });
    this.timeToDecision = new Histogram({
      name: 'elevate_time_to_decision_seconds', help: "From request to a person's final decision, decided on this instance",
      labelNames: ['outcome'], registers,
      // From a minute to a day: people decide in minutes; undecided requests expire after 24 h.
      buckets: [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400],
    });
    this.deliveries = new Counter({ name: 'elevate_deliveries_total', help: 'Delivery attempts by platform and outcome, this instance', labelNames: ['platform', 'outcome'], registers });
    this.rateLimited = new Counter({ name: 'elevate_platform_rate_limited_total', help: 'Platform answers 429 (rate limited), this instance', labelNames: ['platform'], registers });
    this.hookFailures = new Counter({ name: 'elevate_hook_failures_total', help: 'Provisioning hook attempts that failed (retried, or failed for good), this instance', labelNames: ['outcome'], registers });
    // Present from the start, so an alert on its rate has a series to read.
    for (const outcome of ['retried', 'failed']) this.hookFailures.inc({ outcome }, 0);
  }

  decided(outcome: 'approved' | 'denied', seconds: number): void {
    this.timeToDecision.observe({ outcome }, seconds);
  }

  deliveryAttempt(delivery: Delivery, outcome: AttemptOutcome, info: { rateLimited: boolean }): void {
    // Card refreshes go to every platform the card is on: labelled `all`.
    const platform = delivery.platform === ALL_PLATFORMS ? 'all' : delivery.platform;
    this.deliveries.inc({ platform, outcome });
    if (info.rateLimited) this.rateLimited.inc({ platform });
    if (delivery.platform === 'hook' && (outcome === 'retried' || outcome === 'failed')) this.hookFailures.inc({ outcome });
  }
}
