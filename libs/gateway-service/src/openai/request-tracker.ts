import type { Server, ServerResponse } from 'node:http';
import { CancelledError, UnavailableError } from '@internvl/errors';

/**
 * The in-flight requests of an HTTP server and its graceful stop: `drain` closes the listener,
 * lets the requests in flight finish (new ones on kept-alive sockets are the caller's to refuse
 * while `draining`), aborts what is left after the timeout and resolves once every connection
 * is closed.
 */
export class RequestTracker {
  private readonly inFlight = new Set<AbortController>();
  private stopped: Promise<void> | undefined;
  private abortTimer: NodeJS.Timeout | undefined;
  private forceTimer: NodeJS.Timeout | undefined;
  draining = false;

  constructor(
    private readonly server: Server,
    /** After aborting, connections still open (a client that reads nothing) are cut after this. */
    private readonly forceCloseAfterMs: number,
  ) {}

  /** Tracks a request until its response closes; its controller aborts when the client goes away. */
  track(res: ServerResponse): AbortController {
    const controller = new AbortController();
    this.inFlight.add(controller);
    res.once('close', () => {
      this.inFlight.delete(controller);
      // 'close' before the response finished = the client went away: stop the generation.
      if (!res.writableFinished) controller.abort(new CancelledError('the client disconnected'));
      if (this.draining) setImmediate(() => this.server.closeIdleConnections());
    });
    return controller;
  }

  /** Stops accepting; in-flight requests get `timeoutMs` (0 = none) before they are aborted. */
  drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (timeoutMs <= 0) this.abortAll();
    else this.abortTimer ??= setTimeout(() => this.abortAll(), timeoutMs);
    this.stopped ??= new Promise<void>((resolve) => {
      this.server.close(() => {
        clearTimeout(this.abortTimer);
        clearTimeout(this.forceTimer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
    return this.stopped;
  }

  private abortAll(): void {
    for (const controller of this.inFlight)
      controller.abort(new UnavailableError('the server is shutting down'));
    this.forceTimer ??= setTimeout(() => this.server.closeAllConnections(), this.forceCloseAfterMs);
  }
}
