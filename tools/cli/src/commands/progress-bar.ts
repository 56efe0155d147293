/** Where progress is written: stdout, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** A terminal: redraw one line per stage in place. */
  isTTY?: boolean;
  /** Terminal width; lines are cut to fit. */
  columns?: number;
}

/** One step of a staged job: `done` of `total` steps of `stage`, `message` saying which. */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  message: string;
}

const BAR_WIDTH = 16;
const CLEAR_LINE = '\r\x1b[2K';

/** 860 ms → `0.9s`, 42 s → `42s`, 190 s → `3m10s`, 2 h → `2h00m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Shows a staged job's progress. On a terminal: one line per stage, redrawn in place (carriage
 * return + clear line) with a bar, the percentage, the step's message and an ETA, ended with a
 * newline and the stage's time when it completes. Anywhere else (pipes, files, CI logs): one plain
 * line per event, e.g. `decoder: layer 12/32 (36%), eta 3m10s`, so a log shows where a long stage
 * is. The ETA is the stage's elapsed time per finished step times the steps left.
 */
export class ProgressRenderer {
  private stage: string | undefined;
  private stageStart = 0;
  /** A terminal line is drawn and not yet ended with a newline. */
  private lineOpen = false;

  constructor(
    private readonly out: ProgressStream = process.stdout,
    private readonly now: () => number = Date.now,
  ) {}

  update(event: ProgressEvent): void {
    const time = this.now();
    if (event.stage !== this.stage) {
      this.finish();
      this.stage = event.stage;
      this.stageStart = time;
    }
    const elapsed = time - this.stageStart;
    const fraction = event.total > 0 ? Math.min(1, Math.max(0, event.done / event.total)) : 1;
    const percent = Math.floor(fraction * 100);
    const complete = fraction >= 1;
    const eta = !complete && event.done > 0 ? (elapsed / event.done) * (event.total - event.done) : undefined;
    if (this.out.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
      const tail = complete
        ? `  done in ${formatDuration(elapsed)}`
        : eta !== undefined
          ? `  eta ${formatDuration(eta)}`
          : '';
      const head = `${event.stage.padEnd(10)}${bar} ${String(percent).padStart(3)}%  `;
      // One column short of the width (a full-width line wraps on some terminals); the message
      // gives way first, so the bar, percentage and ETA stay.
      const width = Math.max(40, (this.out.columns || 80) - 1);
      const room = Math.max(0, width - head.length - tail.length);
      const message =
        event.message.length > room ? `${event.message.slice(0, Math.max(0, room - 1))}…` : event.message;
      this.out.write(`${CLEAR_LINE}${`${head}${message}${tail}`.slice(0, width)}${complete ? '\n' : ''}`);
      this.lineOpen = !complete;
    } else {
      const suffix = complete
        ? ` (done in ${formatDuration(elapsed)})`
        : event.done > 0
          ? ` (${percent}%)${eta !== undefined ? `, eta ${formatDuration(eta)}` : ''}`
          : '';
      this.out.write(`${event.stage}: ${event.message}${suffix}\n`);
    }
  }

  /** Ends a terminal line left open (a stage that stopped early, e.g. on an error). */
  finish(): void {
    if (!this.lineOpen) return;
    this.out.write('\n');
    this.lineOpen = false;
  }
}
