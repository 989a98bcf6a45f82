/**
 * First come, first served, one at a time: the write transactions of one process on SQLite,
 * which has a single writer. Queued here, each starts when the one before it has ended, in the
 * order they were asked for, instead of waking every waiter each time the connection frees up
 * (Kysely's SQLite driver re-checks a shared lock in a loop) or, with several connections,
 * failing `begin immediate` and retrying. A failed transaction does not stop the queue.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Runs `work` after every transaction queued before it has finished (committed or failed). */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const turn = this.tail.then(() => {
      this.waiting -= 1;
      return work();
    });
    // The next one waits for this one's end, whatever its outcome.
    this.tail = turn.then(() => undefined, () => undefined);
    return turn;
  }

  /** Transactions waiting for their turn (not counting the one running). */
  get length(): number {
    return this.waiting;
  }
}
