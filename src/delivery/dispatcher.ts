import type { HookEvent } from '../core/hooks.js';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { HookAttemptReport, HookVerdict } from '../core/use-cases/record-hook-attempt.js';
import type { ChatPort, Clock, Delivery, Destination, HomeDestination, HookCallResult, HookDestination, HookPort, MessageRef } from '../core/ports.js';
import type { Home } from '../core/use-cases/home.js';
import { addSeconds } from '../core/time.js';
import { ALL_PLATFORMS, type OutboxStore } from '../store/outbox.js';
import { backoffMs, DeliveryError, retryDelayMs } from './delivery-error.js';

/**
 * Provisioning hooks (deliveries of platform `hook`): the port that calls them, and the core use
 * case that audits each attempt and decides what follows (done, retry, give up).
 */
export interface DispatcherHooks {
  port: HookPort;
  record(report: HookAttemptReport): Promise<HookVerdict>;
  /** Whether the call is still wanted (a start for a grant that already ended is not made). */
  wanted?(event: HookEvent): Promise<boolean>;
}

export interface DispatcherOptions {
  store: OutboxStore;
  ports: ChatPort[];
  clock: Clock;
  logger: Logger;
  /** Identifies this instance's leases. */
  owner: string;
  /** Minimum ms between two sends to one channel, per platform (Slack: about 1 message/s/channel). */
  paceMs: Record<string, number>;
  /** Per platform, at most `count` sends to one channel per `intervalMs` (Teams: 60 per 30 s). */
  windowLimits?: Record<string, { count: number; intervalMs: number }>;
  /** Chat deliveries failing this many times are given up (hooks: the `record` verdict decides). */
  maxAttempts: number;
  /** Runs `hook.call` deliveries; without it they wait for an instance that has it. */
  hooks?: DispatcherHooks;
  /** A claimed delivery is someone else's to take after this long (crash recovery). */
  leaseSeconds?: number;
  batchSize?: number;
  pollMs?: number;
  /** The home of the person behind an account as it stands now (`home.publish`); undefined for no one. */
  homeOf?: (identity: string) => Promise<Home | undefined>;
  /** Told about every attempt's outcome (metrics). `rateLimited`: the platform answered 429. */
  onAttempt?: (delivery: Delivery, outcome: AttemptOutcome, info: { rateLimited: boolean }) => void;
}

export type AttemptOutcome = 'delivered' | 'skipped' | 'retried' | 'failed';

// Long enough for a paced batch to finish, short enough that a crashed instance's work resumes soon.
const DEFAULT_LEASE_SECONDS = 60;
// Small claims: each claim's sends and bookkeeping run on the same event loop as the HTTP answers;
// 50 keeps Slack's p99 answer under 100 ms under load where 200 did not (bench/slack-load.bench.ts).
const DEFAULT_BATCH_SIZE = 50;
// One channel's share of a claim (and each further claim of a channel its sender holds): enough
// to keep a 50/s channel busy between claims, few enough that a crash resends little.
const DEFAULT_PER_CHANNEL = 20;
// Channels sent to at once by one instance; beyond it, new channels wait for the next claim.
const DEFAULT_MAX_CHANNELS = 200;
const DEFAULT_POLL_MS = 250;
// A receiver's Retry-After is honoured up to the backoff cap, so an end hook is never put off for long.
const MAX_HOOK_RETRY_AFTER_MS = 10 * 60_000;

/** One channel being sent to by this instance: the deliveries it holds, in order. */
interface ChannelSender {
  queue: Delivery[];
  /** Its last claim took all it could (`perChannel`): more of the channel is probably waiting. */
  full: boolean;
  /** When the channel's pace allows its next message (ms, this process's time), after a send. */
  notBefore: number | undefined;
}

/**
 * Delivers the outbox: claims due deliveries (in order per channel), paces each channel with
 * bottleneck, records message references so later events edit the same messages, retries
 * failures with backoff or the platform's Retry-After. At-least-once: a crash before a delivery
 * is marked done means it is claimed again after its lease lapses.
 *
 * No head-of-line blocking: each channel the instance holds has a sender of its own, which goes
 * through the channel's deliveries at the channel's pace and then claims the channel's next ones
 * itself. The claiming loop only looks for channels nobody holds, at most `perChannel` of each,
 * and never waits for a sender: a backlog of hundreds in the audit feed is one sender going at the
 * feed's pace, and an approver's new card is claimed and sent by its own sender meanwhile.
 */
export class OutboxDispatcher {
  private readonly ports: Map<string, ChatPort>;
  private readonly limiters = new Map<string, Bottleneck.Group>();
  private readonly senders = new Map<string, ChannelSender>();
  private readonly sending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private claiming: Promise<number> = Promise.resolve(0);
  private stopped = false;
  /** Deliveries claimed so far (runOnce reports the difference). */
  private claimedCount = 0;
  /** When the claiming loop last went round (`Date.now()`), for readiness. */
  lastLoopAt: number | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.ports = new Map(options.ports.map((port) => [port.platform, port]));
    for (const port of options.ports) {
      const window = options.windowLimits?.[port.platform];
      this.limiters.set(port.platform, new Bottleneck.Group({
        maxConcurrent: 1, minTime: options.paceMs[port.platform] ?? 1000,
        ...(window ? { reservoir: window.count, reservoirRefreshAmount: window.count, reservoirRefreshInterval: window.intervalMs } : {}),
      }));
    }
    // Hooks are not paced; one call at a time per grant keeps its start before its end.
    if (options.hooks) this.limiters.set(options.hooks.port.platform, new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }));
  }

  get platforms(): string[] {
    return [...this.ports.keys(), ...(this.options.hooks ? [this.options.hooks.port.platform] : [])];
  }

  private get leaseSeconds(): number {
    return this.options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  }

  start(): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.lastLoopAt = Date.now();
      try {
        const full = await this.claimNew();
        // A full claim may have left more behind: claim again at once; otherwise wait for the poll.
        this.timer = setTimeout(loop, full ? 0 : this.options.pollMs ?? DEFAULT_POLL_MS);
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox pass failed');
        this.timer = setTimeout(loop, this.options.pollMs ?? DEFAULT_POLL_MS);
      }
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops claiming, lets each sender finish the send in progress, and hands unfinished work back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.claiming.catch(() => undefined);
    await this.idle();
    await this.options.store.releaseLeases(this.options.owner);
  }

  /**
   * Claims what is due now and waits until every sender of this instance has finished (each
   * going on with its channel while more of it is due). Returns how many deliveries were claimed
   * meanwhile (tests and tools drain the outbox by calling it until it returns 0).
   */
  async runOnce(): Promise<number> {
    const before = this.claimedCount;
    await this.claimNew();
    await this.idle();
    return this.claimedCount - before;
  }

  /** Resolves when no claim is under way and no sender is left (those started meanwhile included). */
  private async idle(): Promise<void> {
    do {
      await this.claiming.catch(() => undefined);
      await Promise.all([...this.sending]);
    } while (this.sending.size > 0);
  }

  /** One claim of channels nobody holds (serialized with other claims); true when it was full. */
  private claimNew(): Promise<boolean> {
    const claim = this.claiming.catch(() => 0).then(() => this.claim());
    this.claiming = claim;
    return claim.then((count) => count >= (this.options.batchSize ?? DEFAULT_BATCH_SIZE));
  }

  private async claim(channelKey?: string): Promise<number> {
    if (this.platforms.length === 0 || this.stopped) return 0;
    const room = DEFAULT_MAX_CHANNELS - this.senders.size;
    if (channelKey === undefined && room <= 0) return 0;
    const now = this.options.clock.now();
    const batch = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const perChannel = Math.min(batch, DEFAULT_PER_CHANNEL);
    const claimed = await this.options.store.claimDeliveries({
      platforms: this.platforms,
      withRefreshes: this.ports.size > 0,
      owner: this.options.owner,
      now,
      leaseUntil: addSeconds(now, this.leaseSeconds),
      limit: channelKey === undefined ? batch : perChannel,
      perChannel,
      ...(channelKey === undefined ? {} : { channelKey }),
    });
    this.claimedCount += claimed.length;
    const perChannelCount = new Map<string, number>();
    for (const delivery of claimed) perChannelCount.set(delivery.channelKey, (perChannelCount.get(delivery.channelKey) ?? 0) + 1);
    for (const delivery of claimed) {
      const full = perChannelCount.get(delivery.channelKey)! >= perChannel;
      const sender = this.senders.get(delivery.channelKey);
      if (sender) {
        sender.queue.push(delivery);
        sender.full = full;
      } else this.startSender(delivery.channelKey, { queue: [delivery], full, notBefore: undefined });
    }
    return claimed.length;
  }

  private startSender(channelKey: string, sender: ChannelSender): void {
    this.senders.set(channelKey, sender);
    this.startHeartbeat();
    const running = this.send(channelKey, sender)
      .catch((error: unknown) => this.options.logger.error({ err: error, channel: channelKey }, 'channel sender failed; its deliveries are taken up again after their lease'))
      .finally(() => {
        if (this.senders.get(channelKey) === sender) this.senders.delete(channelKey);
        this.sending.delete(running);
        if (this.senders.size === 0) this.stopHeartbeat();
      });
    this.sending.add(running);
  }

  /**
   * While this instance holds deliveries, their leases are renewed every third of their length:
   * a paced backlog may take longer than one lease, and a lapsed lease would let another
   * instance send the same messages.
   */
  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      this.options.store.renewLeases(this.options.owner, addSeconds(this.options.clock.now(), this.leaseSeconds))
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not renew delivery leases'));
    }, (this.leaseSeconds * 1000) / 3);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * A channel's sender: its deliveries in order; the first failure hands the rest back so order
   * is kept. When it has sent all it holds and its last claim was full, it waits for the
   * channel's pace and claims the channel's next deliveries itself, until none is due.
   */
  private async send(channelKey: string, sender: ChannelSender): Promise<void> {
    // Leaves the channel at once (no await between the empty queue and this): a claim finishing
    // just after then starts a new sender instead of queueing onto one that is gone.
    const leave = () => {
      if (this.senders.get(channelKey) === sender) this.senders.delete(channelKey);
    };
    for (;;) {
      const delivery = sender.queue.shift();
      if (!delivery) {
        // A channel whose last claim was not full is left to the claiming loop (its next poll).
        if (this.stopped || !sender.full) return leave();
        const wait = sender.notBefore === undefined ? 0 : sender.notBefore - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (sender.queue.length === 0 && (this.stopped || (await this.claim(channelKey)) === 0) && sender.queue.length === 0) return leave();
        continue;
      }
      const settled = await this.deliverOne(delivery, sender);
      if (!settled || this.stopped) {
        while (sender.queue.length > 0) await this.handBack(sender.queue.splice(0));
        if (!settled) return leave();
      }
    }
  }

  private async handBack(deliveries: Delivery[]): Promise<void> {
    for (const rest of deliveries) await this.options.store.releaseDelivery(rest.id, this.options.owner);
  }

  /**
   * Records when the channel's pace allows its next message, before the last delivery this sender
   * holds is settled (which frees the channel), so whichever instance claims the channel next
   * keeps the pace too. While the sender holds more, nobody else can claim the channel.
   */
  private async recordPace(delivery: Delivery, sender: ChannelSender, freeing = sender.queue.length === 0): Promise<void> {
    const pace = this.options.paceMs[delivery.platform] ?? 0;
    if (pace <= 0 || delivery.platform === ALL_PLATFORMS) return;
    sender.notBefore = Date.now() + pace;
    if (!freeing) return;
    await this.options.store.paceChannel(delivery.channelKey, addSeconds(this.options.clock.now(), pace / 1000))
      .catch((error: unknown) => this.options.logger.warn({ err: error, channel: delivery.channelKey }, 'could not record the channel pace'));
  }

  /** Sends one delivery and settles it; false when the channel must stop here (retry later, lease lost). */
  private async deliverOne(delivery: Delivery, sender: ChannelSender): Promise<boolean> {
    if (delivery.kind === 'hook.call') return this.deliverHook(delivery);
    try {
      await this.deliver(delivery);
    } catch (error) {
      // A failed send still used the channel's pace, and may free the channel (the rest is handed back).
      if (!(error instanceof DeliveryError && error.options.skip)) await this.recordPace(delivery, sender, true);
      return this.handleFailure(delivery, error);
    }
    // Sent: a failure to record it must not count as a failed send (that would send it again now).
    try {
      await this.recordPace(delivery, sender);
      if (!(await this.options.store.completeDelivery(delivery.id, this.options.owner, this.options.clock.now()))) {
        // The lease lapsed and another instance may hold the channel now: stop here.
        this.options.logger.warn({ deliveryId: delivery.id, channel: delivery.channelKey }, 'delivery lease lost; leaving the rest of the channel to its new holder');
        return false;
      }
      this.options.logger.debug({ deliveryId: delivery.id, reqId: delivery.requestId ?? undefined, channel: delivery.channelKey, kind: delivery.kind }, 'delivered');
      this.options.onAttempt?.(delivery, 'delivered', { rateLimited: false });
      return true;
    } catch (error) {
      this.options.logger.error({ err: error, deliveryId: delivery.id }, 'delivered but not recorded; it may be sent again after its lease');
      return false;
    }
  }

  /** Records a failed attempt; true when this delivery is settled (skipped or failed for good) so the channel goes on. */
  private async handleFailure(delivery: Delivery, error: unknown): Promise<boolean> {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof DeliveryError && error.options.skip) {
      this.options.logger.info({ deliveryId: delivery.id, reqId: delivery.requestId ?? undefined, channel: delivery.channelKey, reason: message }, 'delivery skipped');
      await this.options.store.completeDelivery(delivery.id, this.options.owner, this.options.clock.now());
      this.options.onAttempt?.(delivery, 'skipped', { rateLimited: false });
      return true;
    }
    const rateLimited = error instanceof DeliveryError && (error.options.status === 429 || error.options.retryAfterMs !== undefined);
    const permanent = error instanceof DeliveryError && error.options.permanent === true;
    const log = { deliveryId: delivery.id, reqId: delivery.requestId ?? undefined, channel: delivery.channelKey, kind: delivery.kind, attempts: delivery.attempts + 1, err: message };
    if (permanent || delivery.attempts + 1 >= this.options.maxAttempts) {
      this.options.logger.error(log, 'delivery failed for good');
      await this.options.store.failDelivery(delivery.id, this.options.owner, message);
      this.options.onAttempt?.(delivery, 'failed', { rateLimited });
      return true;
    }
    const delay = retryDelayMs(error, delivery.attempts);
    this.options.logger.warn({ ...log, retryInMs: delay }, 'delivery failed; will retry');
    await this.options.store.retryDelivery(delivery.id, this.options.owner, addSeconds(this.options.clock.now(), delay / 1000), message);
    this.options.onAttempt?.(delivery, 'retried', { rateLimited });
    return false;
  }

  /**
   * Calls a hook, has the core audit the attempt and decide, and settles the delivery accordingly.
   * True when settled (done or given up), so the grant's next hook call may follow.
   */
  private async deliverHook(delivery: Delivery): Promise<boolean> {
    const { store, owner, clock, logger } = this.options;
    const hooks = this.options.hooks;
    const destination = delivery.destination as HookDestination;
    if (!hooks || destination.kind !== 'hook') {
      await store.failDelivery(delivery.id, owner, 'not a hook call');
      return true;
    }
    const wanted = (await hooks.wanted?.(destination.event)) ?? true;
    const result: HookCallResult = !wanted
      ? { ok: false, permanent: true, error: 'not called: the grant ended before its start hook ran' }
      : await this.paced(hooks.port.platform, delivery.channelKey, () => hooks.port.call(destination.hook, destination.event))
        .catch((error: unknown): HookCallResult => ({ ok: false, permanent: false, error: error instanceof Error ? error.message : String(error) }));
    const log = { deliveryId: delivery.id, reqId: delivery.requestId ?? undefined, hook: destination.hook, eventId: destination.event.id, attempts: delivery.attempts + 1 };
    let verdict: HookVerdict;
    try {
      verdict = await hooks.record({ hook: destination.hook, event: destination.event, attempt: delivery.attempts + 1, result });
    } catch (error) {
      // Not audited, so not settled: the call is made again (receivers deduplicate by event id).
      logger.error({ ...log, err: error }, 'hook attempt could not be recorded; it will be retried');
      await store.retryDelivery(delivery.id, owner, addSeconds(clock.now(), backoffMs(delivery.attempts) / 1000), 'attempt not recorded');
      return false;
    }
    const error = result.error ?? (result.ok ? '' : 'failed');
    const rateLimited = result.status === 429;
    if (verdict === 'done') {
      await store.completeDelivery(delivery.id, owner, clock.now());
      this.options.onAttempt?.(delivery, 'delivered', { rateLimited });
      return true;
    }
    if (verdict === 'giveUp') {
      logger.error({ ...log, err: error }, 'start hook failed for good; its grant is failed');
      await store.failDelivery(delivery.id, owner, error);
      this.options.onAttempt?.(delivery, 'failed', { rateLimited });
      return true;
    }
    this.options.onAttempt?.(delivery, 'retried', { rateLimited });
    const delay = result.retryAfterMs !== undefined ? Math.min(result.retryAfterMs, MAX_HOOK_RETRY_AFTER_MS) : backoffMs(delivery.attempts);
    logger.warn({ ...log, err: error, retryInMs: delay }, 'hook call failed; will retry');
    await store.retryDelivery(delivery.id, owner, addSeconds(clock.now(), delay / 1000), error);
    return false;
  }

  private paced<T>(platform: string, channelKey: string, send: () => Promise<T>): Promise<T> {
    const group = this.limiters.get(platform);
    if (!group) throw new DeliveryError(`no chat port for ${platform}`, { permanent: true });
    return group.key(channelKey).schedule(send);
  }

  private port(platform: string): ChatPort {
    const port = this.ports.get(platform);
    if (!port) throw new DeliveryError(`no chat port for ${platform}`, { permanent: true });
    return port;
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const { store } = this.options;
    const destination = delivery.destination as Destination;
    switch (delivery.kind) {
      case 'hook.call':
        throw new DeliveryError('hook calls are delivered by deliverHook', { permanent: true });
      case 'message': {
        const port = this.port(delivery.platform);
        await this.paced(delivery.platform, delivery.channelKey, () => port.post(destination, delivery.card!, {}));
        return;
      }
      case 'thread.reply': {
        const port = this.port(delivery.platform);
        const root = await store.findMessageRef(delivery.cardKey!, delivery.platform, delivery.channelKey);
        // The root is posted earlier in the same channel; if it failed for good, reply at top level.
        const threadOf: MessageRef | undefined = root ?? undefined;
        await this.paced(delivery.platform, delivery.channelKey, () => port.post(destination, delivery.card!, { threadOf }));
        return;
      }
      case 'card.post': {
        const port = this.port(delivery.platform);
        const cardKey = delivery.cardKey!;
        const current = await store.getCard(cardKey);
        if (!current) throw new DeliveryError(`card ${cardKey} does not exist`, { permanent: true });
        const existing = await store.findMessageRef(cardKey, delivery.platform, delivery.channelKey);
        if (existing) {
          // Posted before a crash or retry: never post twice, only bring it up to date.
          await this.bringUpToDate(cardKey, existing);
          return;
        }
        const posted = await this.paced(delivery.platform, delivery.channelKey, () => port.post(destination, current.card, {}));
        await store.saveMessageRef(cardKey, delivery.channelKey, posted, current.version);
        await this.bringUpToDate(cardKey, { ...posted, channelKey: delivery.channelKey, version: current.version });
        return;
      }
      case 'home.publish': {
        const port = this.port(delivery.platform);
        const { identity } = delivery.destination as HomeDestination;
        const { homeOf } = this.options;
        if (!port.publishHome || !homeOf) throw new DeliveryError(`no home view on ${delivery.platform}`, { permanent: true });
        // Read when its turn comes (after the pace), so it shows every change committed by then.
        await this.paced(delivery.platform, delivery.channelKey, async () => {
          const home = await homeOf(identity);
          if (!home) throw new DeliveryError(`${identity} belongs to no one now`, { skip: true });
          await port.publishHome!(identity, home);
        });
        return;
      }
      case 'card.refresh': {
        const refs = await store.listMessageRefs(delivery.cardKey!);
        for (const ref of refs.filter((r) => this.ports.has(r.platform))) await this.bringUpToDate(delivery.cardKey!, ref);
        return;
      }
    }
  }

  /** Edits a posted card when a newer version exists (also closes the post-versus-refresh race). */
  private async bringUpToDate(cardKey: string, ref: MessageRef & { channelKey: string; version: number }): Promise<void> {
    const latest = await this.options.store.getCard(cardKey);
    if (!latest || latest.version <= ref.version) return;
    const port = this.port(ref.platform);
    await this.paced(ref.platform, ref.channelKey, () => port.update(ref, latest.card));
    // Never lowers the recorded version, so a slower, older edit cannot mark a message current.
    await this.options.store.setMessageRefVersion(cardKey, ref.platform, ref.channelKey, latest.version);
    const newer = await this.options.store.getCard(cardKey);
    if (newer && newer.version > latest.version) await this.bringUpToDate(cardKey, { ...ref, version: latest.version });
  }
}
