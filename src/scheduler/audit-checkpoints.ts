import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Elevate } from '../core/elevate.js';
import { addSeconds } from '../core/time.js';
import type { Anchor } from '../core/use-cases/audit-log.js';
import type { LeaseStore } from '../store/leases.js';
import { signHookBody } from '../delivery/hook-runner.js';

export interface AuditCheckpointOptions {
  elevate: Elevate;
  logger: Logger;
  intervalMs: number;
  /** JSON lines `{"seq":…,"hash":"…","at":"…"}` appended here (created 0600): `audit verify --anchors-file`. */
  file?: string;
  /** POSTed the same JSON, signed like hook calls (`x-elevate-timestamp`, `x-elevate-signature`) when `secret` is set. */
  url?: string;
  secret?: string;
  leases?: { store: LeaseStore; owner: string; leaseSeconds: number };
  fetch?: typeof fetch;
}

const LEASE_NAME = 'audit-checkpoint';
const POST_TIMEOUT_MS = 10_000;

/**
 * Every ELEVATE_AUDIT_CHECKPOINT (and once at shutdown) publishes the audit head outside the
 * database: to the audit feeds (in the core), an append-only file and a webhook. One instance at a
 * time does it (lease `audit-checkpoint`). A sink that fails is retried at the next tick with the
 * newer head, which anchors everything before it too.
 */
export class AuditCheckpoints {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Anchor | undefined> | undefined;
  private lastSeq: number | undefined;
  private latest: Anchor | undefined;
  // Sinks that missed the last head: retried even when the head has not moved since.
  private owed = { file: false, url: false };

  constructor(private readonly options: AuditCheckpointOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.runOnce();
  }

  runOnce(): Promise<Anchor | undefined> {
    this.running ??= this.publish()
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'audit checkpoint failed; retried at the next one');
        return undefined;
      })
      .finally(() => { this.running = undefined; });
    return this.running;
  }

  private async publish(): Promise<Anchor | undefined> {
    const { leases, elevate } = this.options;
    if (leases) {
      const now = elevate.ctx.clock.now();
      if (!(await leases.store.takeLease(LEASE_NAME, leases.owner, now, addSeconds(now, leases.leaseSeconds)))) return undefined;
    }
    try {
      const anchor = await elevate.publishAuditAnchor(this.lastSeq);
      if (anchor) {
        this.lastSeq = anchor.seq;
        this.owed = { file: Boolean(this.options.file), url: Boolean(this.options.url) };
        this.latest = anchor;
      }
      if (this.latest) await this.deliver(this.latest);
      return anchor;
    } finally {
      if (leases) await leases.store.releaseLease(LEASE_NAME, leases.owner).catch(() => undefined);
    }
  }

  private async deliver(anchor: Anchor): Promise<void> {
    const body = JSON.stringify({ seq: anchor.seq, hash: anchor.hash, at: anchor.at });
    if (this.owed.file && this.options.file) {
      try {
        await mkdir(dirname(this.options.file), { recursive: true, mode: 0o700 });
        await appendFile(this.options.file, `${body}\n`, { mode: 0o600 });
        await chmod(this.options.file, 0o600);
        this.owed.file = false;
      } catch (error) {
        this.options.logger.error({ err: error, file: this.options.file }, 'could not append the audit checkpoint to ELEVATE_AUDIT_CHECKPOINT_FILE; retried at the next one');
      }
    }
    if (this.owed.url && this.options.url) {
      const timestamp = String(Math.floor(Date.parse(anchor.at ?? new Date().toISOString()) / 1000));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-elevate-timestamp': timestamp };
      if (this.options.secret) headers['x-elevate-signature'] = signHookBody(this.options.secret, timestamp, body);
      try {
        const response = await (this.options.fetch ?? fetch)(this.options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(POST_TIMEOUT_MS), redirect: 'error' });
        if (!response.ok) throw new Error(`answered ${response.status}`);
        this.owed.url = false;
      } catch (error) {
        this.options.logger.error({ err: error, url: this.options.url }, 'could not POST the audit checkpoint to ELEVATE_AUDIT_CHECKPOINT_URL; retried at the next one');
      }
    }
  }
}
