import type { Clock } from '../../src/core/ports.js';

/** A clock that moves only when the test says so. */
export class FakeClock implements Clock {
  private ms: number;
  constructor(start = '2026-11-27T09:00:00.000Z') {
    this.ms = Date.parse(start);
  }
  now(): string {
    return new Date(this.ms).toISOString();
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
  set(instant: string): void {
    this.ms = Date.parse(instant);
  }
}

/** The real time plus an offset the test may move forward: for tests that need time to pass on its own too. */
export class LiveClock implements Clock {
  private offsetMs = 0;
  now(): string {
    return new Date(Date.now() + this.offsetMs).toISOString();
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
  set(instant: string): void {
    this.offsetMs = Date.parse(instant) - Date.now();
  }
}
