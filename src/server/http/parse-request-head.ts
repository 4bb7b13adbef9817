import { httpToken } from '../../backends/http/http-header-rules.ts';

/** A request head the fast server answers itself (http1-server.ts). */
export interface RequestHead {
  method: string;
  /** The request target as sent (origin form: a path and query). */
  url: string;
  /** [name, value, name, value, …], names as sent. */
  rawHeaders: string[];
  /** Lower-cased name → value; no name occurs twice (a repeated header is handed to node). */
  headers: Record<string, string>;
  /** 0 when the request has no Content-Length. */
  contentLength: number;
  /** False after `Connection: close`. */
  keepAlive: boolean;
  /** Bytes of the head, its closing blank line included. */
  headLength: number;
}

/** Not a whole head yet: wait for more bytes. */
export const incomplete = 'incomplete';

/** A head the fast server leaves to node's own server, and why (node answers it, errors included). */
export interface HandOff {
  handOff: string;
}

/** What the fast path answers; any other method goes to node. */
const fastMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Origin-form targets of visible ASCII; anything else (absolute form, `*`, raw UTF-8) goes to node. */
const originForm = /^\/[!-~]*$/;
/** Control characters other than HTAB: a header value holding one (a lone CR or LF too) goes to node. */
// eslint-disable-next-line no-control-regex
const controlText = /[\0-\x08\n-\x1f\x7f]/;
const digits = /^\d{1,15}$/;
/** Headers whose framing or protocol meaning the fast path leaves to node. */
const handedOffHeaders: ReadonlySet<string> = new Set(['transfer-encoding', 'expect', 'upgrade', 'http2-settings']);

const headEnd = Buffer.from('\r\n\r\n');

/**
 * Reads one request head off the front of `bytes`, for the common case only: HTTP/1.1, a method
 * the API uses, an origin-form target, a Host, well-formed header lines each given once, and a
 * body framed by a single Content-Length (or none). Anything else — HTTP/1.0, chunked or
 * `Expect: 100-continue` uploads, upgrades, obs-fold, bare LF, control characters, a repeated
 * header, a head over `maxHeadBytes` — comes back as a HandOff so that node's hardened parser
 * answers it (including its 400 and 431 errors): the fast path never has to guess at framing.
 */
export function parseRequestHead(bytes: Buffer, maxHeadBytes: number): RequestHead | typeof incomplete | HandOff {
  const end = bytes.indexOf(headEnd);
  if (end === -1) return bytes.length > maxHeadBytes ? { handOff: 'head over the size limit' } : incomplete;
  if (end > maxHeadBytes) return { handOff: 'head over the size limit' };
  const text = bytes.toString('latin1', 0, end + 2);
  const lineEnd = text.indexOf('\r\n');
  const firstSpace = text.indexOf(' ');
  const secondSpace = text.indexOf(' ', firstSpace + 1);
  if (firstSpace === -1 || secondSpace === -1 || secondSpace > lineEnd) return { handOff: 'not a request line' };
  const method = text.slice(0, firstSpace);
  if (!fastMethods.has(method)) return { handOff: `method ${method}` };
  const url = text.slice(firstSpace + 1, secondSpace);
  if (!originForm.test(url)) return { handOff: 'request target not in origin form' };
  if (lineEnd - secondSpace !== 9 || !text.startsWith('HTTP/1.1', secondSpace + 1)) return { handOff: 'not HTTP/1.1' };

  const rawHeaders: string[] = [];
  const headers: Record<string, string> = Object.create(null);
  let contentLength = 0;
  let keepAlive = true;
  let host = false;
  let at = lineEnd + 2;
  while (at < text.length) {
    const next = text.indexOf('\r\n', at);
    const first = text.charCodeAt(at);
    if (first === 32 || first === 9) return { handOff: 'obs-fold' };
    const colon = text.indexOf(':', at);
    if (colon === -1 || colon > next) return { handOff: 'header line without a colon' };
    const name = text.slice(at, colon);
    let valueStart = colon + 1;
    let valueEnd = next;
    while (valueStart < valueEnd && (text.charCodeAt(valueStart) === 32 || text.charCodeAt(valueStart) === 9)) valueStart++;
    while (valueEnd > valueStart && (text.charCodeAt(valueEnd - 1) === 32 || text.charCodeAt(valueEnd - 1) === 9)) valueEnd--;
    const value = text.slice(valueStart, valueEnd);
    at = next + 2;
    // A name with a leading space is obs-fold; a name or value with a CR or LF was a bare line break.
    if (!httpToken.test(name) || controlText.test(value)) return { handOff: 'malformed header line' };
    const key = name.toLowerCase();
    if (headers[key] !== undefined) return { handOff: `repeated header ${key}` };
    if (handedOffHeaders.has(key)) return { handOff: `header ${key}` };
    if (key === 'content-length') {
      if (!digits.test(value)) return { handOff: 'bad content-length' };
      contentLength = Number(value);
    } else if (key === 'host') host = true;
    else if (key === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const option = token.trim();
        if (option === 'upgrade') return { handOff: 'connection upgrade' };
        if (option === 'close') keepAlive = false;
      }
    }
    headers[key] = value;
    rawHeaders.push(name, value);
  }
  if (!host) return { handOff: 'no host header' };
  return { method, url, rawHeaders, headers, contentLength, keepAlive, headLength: end + 4 };
}
