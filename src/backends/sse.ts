/**
 * Server-Sent Events, both ways, following the WHATWG event-stream rules: an incremental parser
 * that takes raw bytes as they come off a socket (chunks may split a line, a `data:` prefix or a
 * multi-byte UTF-8 character anywhere) and a tiny encoder. Used on the hot path of every streamed
 * answer, so it works on bytes and only decodes whole lines.
 */

export interface SseEvent {
  /** The `event:` field, absent for the default `message` type. */
  event?: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  id?: string;
  /** The `retry:` field in milliseconds, when the stream sent a valid one. */
  retry?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const noEvents: SseEvent[] = [];

export class SseParser {
  /**
   * Bytes of a line whose terminator has not arrived yet, one piece per read: they are joined once,
   * when the line ends (joining at every read made a long line cost quadratic time).
   */
  private partial: Buffer[] | undefined;
  /** The previous chunk ended in CR: a LF starting the next one belongs to the same terminator. */
  private skipLeadingLF = false;
  private firstLine = true;
  private data: string | undefined;
  private eventType: string | undefined;
  private lastId: string | undefined;
  private retry: number | undefined;
  private events: SseEvent[] = noEvents;

  /** Feeds bytes (or already decoded text); returns the events completed by them, in order. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (this.skipLeadingLF && buf.length > 0) {
      this.skipLeadingLF = false;
      if (buf[0] === LF) pos = 1;
    }
    if (this.partial !== undefined) {
      if (buf.indexOf(LF, pos) === -1 && buf.indexOf(CR, pos) === -1) {
        if (pos < buf.length) this.partial.push(Buffer.from(buf.subarray(pos)));
        return noEvents;
      }
      this.partial.push(buf.subarray(pos));
      buf = Buffer.concat(this.partial);
      this.partial = undefined;
      pos = 0;
    }
    this.events = noEvents;
    const end = buf.length;
    // Most streams use LF only; look for CR once and only again once we pass it.
    let nextCR = buf.indexOf(CR, pos);
    while (pos < end) {
      const nextLF = buf.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = buf.indexOf(CR, pos);
      let lineEnd: number;
      let after: number;
      if (nextCR !== -1 && (nextLF === -1 || nextCR < nextLF)) {
        lineEnd = nextCR;
        if (nextCR + 1 < end) after = buf[nextCR + 1] === LF ? nextCR + 2 : nextCR + 1;
        else {
          after = end;
          this.skipLeadingLF = true;
        }
      } else if (nextLF !== -1) {
        lineEnd = nextLF;
        after = nextLF + 1;
      } else {
        this.partial = [Buffer.from(buf.subarray(pos))];
        break;
      }
      this.line(buf, pos, lineEnd);
      pos = after;
    }
    return this.events;
  }

  /**
   * The byte stream ended. A final line without its terminator is taken as complete and an event
   * without its closing blank line is still delivered: the caller, not the framing, decides
   * whether what arrived is a whole answer.
   */
  end(): SseEvent[] {
    this.events = noEvents;
    if (this.partial !== undefined) {
      const rest = Buffer.concat(this.partial);
      this.partial = undefined;
      this.line(rest, 0, rest.length);
    }
    this.dispatch();
    return this.events;
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (start === end) {
      this.dispatch();
      return;
    }
    if (this.firstLine) {
      this.firstLine = false;
      // A UTF-8 byte order mark may open the stream and is not part of the first field name.
      if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
        start += 3;
        if (start === end) return;
      }
    }
    if (buf[start] === COLON) return; // comment, e.g. ": keep-alive"
    const colon = buf.indexOf(COLON, start);
    let nameEnd = end;
    let valueStart = end;
    if (colon !== -1 && colon < end) {
      nameEnd = colon;
      valueStart = colon + 1;
      if (valueStart < end && buf[valueStart] === SPACE) valueStart++;
    }
    if (nameEnd - start === 4 && buf[start] === 0x64 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61) {
      const value = buf.toString('utf8', valueStart, end);
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
      return;
    }
    const name = buf.toString('latin1', start, nameEnd);
    if (name === 'event') {
      this.eventType = buf.toString('utf8', valueStart, end);
    } else if (name === 'id') {
      const value = buf.toString('utf8', valueStart, end);
      if (!value.includes('\0')) this.lastId = value;
    } else if (name === 'retry') {
      const value = buf.toString('latin1', valueStart, end);
      if (/^\d+$/.test(value)) this.retry = Number(value);
    }
    // Any other field name is ignored, as the spec requires.
  }

  private dispatch(): void {
    const data = this.data;
    const eventType = this.eventType;
    const retry = this.retry;
    this.data = undefined;
    this.eventType = undefined;
    this.retry = undefined;
    if (data === undefined) return;
    const event: SseEvent = { data };
    if (eventType !== undefined && eventType !== '') event.event = eventType;
    if (this.lastId !== undefined) event.id = this.lastId;
    if (retry !== undefined) event.retry = retry;
    if (this.events === noEvents) this.events = [event];
    else this.events.push(event);
  }
}

const lineBreak = /\r\n|\r|\n/;

/** One event as wire text. Multi-line data becomes several `data:` lines, as the spec requires. */
export function encodeSseEvent(event: SseEvent): string {
  let out = '';
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  return out + encodeSseData(event.data);
}

/** The common case: one `data:` event. JSON.stringify output never contains a raw line break. */
export function encodeSseData(data: string): string {
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `data: ${data}\n\n`;
  return `data: ${data.split(lineBreak).join('\ndata: ')}\n\n`;
}

/** A comment line: ignored by clients, keeps idle proxies from closing the connection. */
export function encodeSseComment(text = ''): string {
  return `:${text === '' ? '' : ' '}${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`;
}
