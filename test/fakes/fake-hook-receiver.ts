import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the next call(s) answer instead of 204: a status, optionally with Retry-After (seconds). */
export interface ReceiverFailure {
  status: number;
  retryAfter?: number;
}

export interface ReceivedHook {
  eventId: string;
  timestamp: string;
  body: Record<string, unknown>;
  /** The status the receiver answered. */
  status: number;
}

/**
 * A provisioning hook receiver on 127.0.0.1, written as the README tells receivers to: it
 * verifies `x-elevate-signature` over `<timestamp>.<raw body>` (401 when it does not match),
 * deduplicates by event id, and fails on demand (queued statuses, e.g. 500, 429 + Retry-After, 400).
 */
export class FakeHookReceiver {
  readonly received: ReceivedHook[] = [];
  badSignatures = 0;
  private failures: ReceiverFailure[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  failNext(...failures: ReceiverFailure[]): void {
    this.failures.push(...failures);
  }

  /** Events accepted (2xx), by id, each once. */
  acceptedIds(): string[] {
    return [...new Set(this.received.filter((r) => r.status < 300).map((r) => r.eventId))];
  }

  /** Deliveries of an event id accepted more than once (at-least-once means this may be above 0). */
  duplicates(): number {
    const accepted = this.received.filter((r) => r.status < 300);
    return accepted.length - new Set(accepted.map((r) => r.eventId)).size;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(req.headers['x-elevate-timestamp'] ?? '');
        const given = Buffer.from(String(req.headers['x-elevate-signature'] ?? ''));
        const expected = Buffer.from(`v1=${createHmac('sha256', this.secret).update(`${timestamp}.${raw}`).digest('hex')}`);
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json'
          || given.length !== expected.length || !timingSafeEqual(given, expected)) {
          this.badSignatures += 1;
          res.writeHead(401).end('bad signature');
          return;
        }
        const body = JSON.parse(raw) as Record<string, unknown>;
        const eventId = String(req.headers['x-elevate-event-id']);
        const failure = this.failures.shift();
        const status = failure?.status ?? 204;
        this.received.push({ eventId, timestamp, body, status });
        res.writeHead(status, failure?.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
        res.end(failure ? `failing with ${status} on purpose` : undefined);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
