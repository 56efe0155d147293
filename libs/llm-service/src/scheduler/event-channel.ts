/**
 * A one-consumer async queue: the scheduler pushes events as steps finish, the call handler
 * iterates them. `onReturn` runs when the consumer stops early (the call ended), so the producer
 * can stop working for it.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  private done = false;
  private error: unknown;

  constructor(private readonly onReturn: () => void) {}

  push(item: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  close(): void {
    this.end(undefined);
  }

  fail(err: unknown): void {
    this.end(err ?? new Error('failed'));
  }

  get closed(): boolean {
    return this.done;
  }

  private end(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    const w = this.waiter;
    this.waiter = undefined;
    if (!w) return;
    if (err !== undefined) w.reject(err);
    else w.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.done) {
          if (this.error === undefined) return Promise.resolve({ value: undefined, done: true });
          const err = this.error;
          this.error = undefined;
          return Promise.reject(err);
        }
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
      },
      return: () => {
        if (!this.done) this.onReturn();
        this.done = true;
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
