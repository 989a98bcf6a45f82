import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { HookEvent } from '../core/hooks.js';
import type { Clock, HookCallResult, HookPort } from '../core/ports.js';
import { toMillis } from '../core/time.js';

/** A webhook: POST of the event, HMAC-signed with `secret`. */
export interface WebhookDefinition {
  url: string;
  secret: string;
}

/** A local command (argv, no shell) reading the event on stdin; exit 0 = success. */
export interface CommandDefinition {
  command: string[];
  timeoutSeconds?: number;
}

export type HookDefinition = WebhookDefinition | CommandDefinition;

// A webhook answers within 10 s or the attempt counts as failed (and is retried).
const WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 30;
// What is kept of a response body or a command's output: enough for the audit record.
const MAX_CAPTURE_BYTES = 4096;
const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/**
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the `x-elevate-signature` header of a
 * webhook call. Receivers recompute it over the raw body and compare in constant time.
 */
export function signHookBody(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Retry-After as milliseconds from `nowMs`: delta seconds or an HTTP date; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_CAPTURE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short says no more than what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_CAPTURE_BYTES);
}

/**
 * The HookPort of the server: runs the hooks the server configuration defines (ELEVATE_HOOKS),
 * as webhooks (POST, signed) or local commands (spawned without a shell, JSON on stdin).
 */
export class HookRunner implements HookPort {
  readonly platform = 'hook' as const;

  constructor(private readonly hooks: Record<string, HookDefinition>, private readonly clock: Clock) {}

  async call(name: string, event: HookEvent): Promise<HookCallResult> {
    const hook = Object.hasOwn(this.hooks, name) ? this.hooks[name] : undefined;
    if (!hook) return { ok: false, permanent: true, error: `no hook named ${name} is configured (ELEVATE_HOOKS)` };
    const body = JSON.stringify(event);
    return 'url' in hook ? this.callWebhook(hook, event, body) : this.runCommand(hook, event, body);
  }

  private async callWebhook(hook: WebhookDefinition, event: HookEvent, body: string): Promise<HookCallResult> {
    const nowMs = toMillis(this.clock.now());
    const timestamp = String(Math.floor(nowMs / 1000));
    let response: Response;
    try {
      response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-elevate-event-id': event.id,
          'x-elevate-timestamp': timestamp,
          'x-elevate-signature': signHookBody(hook.secret, timestamp, body),
        },
        body,
        // A redirect could send a signed event elsewhere: it counts as a permanent failure.
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      return { ok: false, permanent: false, error: timedOut ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s` : `cannot reach the webhook: ${cause}` };
    }
    const output = await readCapped(response);
    const status = response.status;
    if (status >= 200 && status < 300) return { ok: true, permanent: false, status, output };
    const retryable = RETRYABLE_STATUSES.has(status) || status >= 500;
    return {
      ok: false, permanent: !retryable, status, output,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), nowMs),
      error: status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`,
    };
  }

  private runCommand(hook: CommandDefinition, event: HookEvent, body: string): Promise<HookCallResult> {
    const timeoutSeconds = hook.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS;
    const [file, ...args] = hook.command;
    return new Promise((resolve) => {
      const captured = { stdout: '', stderr: '' };
      let timedOut = false;
      let settled = false;
      const finish = (result: HookCallResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      // No shell, and only PATH and the event's identity from Elevate's environment (its secrets stay here).
      // Its own process group (detached), so a timeout kills whatever it started too.
      const child = spawn(file!, args, {
        shell: false, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ELEVATE_EVENT_ID: event.id, ELEVATE_EVENT: event.event },
      });
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        // A grandchild holding the pipes open must not keep the call waiting.
        child.stdout.destroy();
        child.stderr.destroy();
        const output = [captured.stdout.trim(), captured.stderr.trim()].filter(Boolean).join('\n') || undefined;
        finish({ ok: false, permanent: false, exitCode: null, output, error: `killed after ${timeoutSeconds} s` });
      }, timeoutSeconds * 1000);
      for (const stream of ['stdout', 'stderr'] as const) {
        child[stream].setEncoding('utf8');
        child[stream].on('data', (chunk: string) => {
          if (captured[stream].length < MAX_CAPTURE_BYTES) captured[stream] = (captured[stream] + chunk).slice(0, MAX_CAPTURE_BYTES);
        });
      }
      child.stdin.on('error', () => undefined); // a command that exits without reading: its exit code tells
      child.on('error', (error) => finish({ ok: false, permanent: false, exitCode: null, error: `cannot run ${file}: ${error.message}` }));
      child.on('close', (code) => {
        const output = [captured.stdout.trim(), captured.stderr.trim()].filter(Boolean).join('\n') || undefined;
        if (code === 0 && !timedOut) return finish({ ok: true, permanent: false, exitCode: 0, output });
        finish({
          ok: false, permanent: false, exitCode: code, output,
          error: timedOut ? `killed after ${timeoutSeconds} s` : `exit code ${code}`,
        });
      });
      child.stdin.end(body);
    });
  }
}
