/**
 * A one-line progress bar on a TTY (redrawn in place); on pipes and CI logs, one line per
 * completed step so logs stay readable.
 */
export class ProgressBar {
  private lastLine = '';
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = Date.now();

  update(label: string, done: number, total: number, message: string): void {
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.tty) {
      const width = 24;
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      const line = `${label.padEnd(10)} ${bar} ${done}/${total} ${message} (${elapsed}s)`;
      process.stderr.write(`\r${line.padEnd(this.lastLine.length)}`);
      this.lastLine = line;
      if (done === total) {
        process.stderr.write('\n');
        this.lastLine = '';
      }
    } else if (done === total || done === 0) {
      process.stderr.write(`${label}: ${message} (${elapsed}s)\n`);
    }
  }
}
