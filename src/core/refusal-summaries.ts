import type { Origin } from './model.js';
import { toMillis, type Instant } from './time.js';

/** A refused attempt worth auditing, from a source (a claimed workspace, a client address, a token). */
export interface Refusal {
  /** What was refused, e.g. `identity.refused`, `api.refused`. */
  action: string;
  origin: Origin;
  /** Where the attempts come from: a verified token id, else what the request claimed or its address. */
  source: string;
  subject: string;
  details: Record<string, unknown>;
}

/** What stands for the refusals not recorded one by one: how many, of which kind, from where. */
export interface RefusalSummary {
  action: string;
  origin: Origin;
  source: string;
  count: number;
  from: Instant;
  to: Instant;
  /** A few subjects, as examples (a flood's subjects are many and alike). */
  examples: string[];
}

// A handful of refusals per source and kind per minute are recorded one by one (a person who mistypes);
// beyond that a flood is counted and summarised, so no input writes an unbounded amount of audit.
const BURST = 5;
const WINDOW_MS = 60_000;
const EXAMPLES = 5;
// Sources remembered at once: a flood from ever-new addresses is summarised under one key past this.
const MAX_SOURCES = 10_000;

interface Window {
  startedMs: number;
  recorded: number;
  summary: RefusalSummary | null;
}

/**
 * Decides which refused attempts get their own audit record and counts the rest: per source and
 * kind, the first few each minute are recorded, later ones only counted, and the counts are
 * audited as one summary per source and kind per minute (`collect`). Pure: time comes in.
 */
export class RefusalSummaries {
  private readonly windows = new Map<string, Window>();
  /** Summaries of windows already replaced by a newer one, waiting for `collect`. */
  private pending: RefusalSummary[] = [];

  /** True when this refusal should be audited on its own; otherwise it is counted. */
  admit(refusal: Refusal, now: Instant): boolean {
    const nowMs = toMillis(now);
    const key = this.windows.size >= MAX_SOURCES && !this.windows.has(`${refusal.action} ${refusal.source}`)
      ? `${refusal.action} (many sources)` : `${refusal.action} ${refusal.source}`;
    let window = this.windows.get(key);
    if (!window || nowMs - window.startedMs >= WINDOW_MS) {
      if (window?.summary) this.pending.push(window.summary);
      window = { startedMs: nowMs, recorded: 0, summary: null };
      this.windows.set(key, window);
    }
    if (window.recorded < BURST) {
      window.recorded += 1;
      return true;
    }
    window.summary ??= { action: refusal.action, origin: refusal.origin, source: key.startsWith(`${refusal.action} (`) ? 'many sources' : refusal.source, count: 0, from: now, to: now, examples: [] };
    window.summary.count += 1;
    window.summary.to = now;
    if (window.summary.examples.length < EXAMPLES && !window.summary.examples.includes(refusal.subject)) window.summary.examples.push(refusal.subject);
    return false;
  }

  /** Summaries of windows that ended by `now` (all of them when `all`), to audit; forgets quiet sources. */
  collect(now: Instant, all = false): RefusalSummary[] {
    const nowMs = toMillis(now);
    const done = this.pending;
    this.pending = [];
    for (const [key, window] of this.windows) {
      if (!all && nowMs - window.startedMs < WINDOW_MS) continue;
      if (window.summary) done.push(window.summary);
      this.windows.delete(key);
    }
    return done;
  }

  /** Puts summaries back (their audit failed), to be written with the next ones. */
  restore(summaries: RefusalSummary[]): void {
    this.pending.push(...summaries);
  }
}
