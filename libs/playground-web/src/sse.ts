/**
 * Splits a server-sent event stream into the `data` of each event, as text arrives in arbitrary
 * pieces (a chunk may end mid-line or mid-event). Lines end with LF, CRLF or CR; comments and
 * other fields are ignored.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  /** Feeds text; returns the data of every event it completed. */
  push(text: string): string[] {
    const events: string[] = [];
    const buf = this.buffer + text;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the end may be the first half of a CRLF: wait for the next piece.
      if (c === '\r' && i + 1 === buf.length) break;
      const line = buf.slice(start, i);
      if (c === '\r' && buf[i + 1] === '\n') i++;
      start = i + 1;
      if (line === '') {
        if (this.data.length > 0) events.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
    this.buffer = buf.slice(start);
    return events;
  }
}
