/** A request head the fast server answers itself (http1-server.ts). */
export interface RequestHead {
  method: string;
  /** The request target as sent (origin form: a path and query). */
  url: string;
  /** [name, value, name, value, …], names as sent. */
  rawHeaders: string[];
  /** Lower-cased name → value; a repeated header merged as node merges it (firstOnly, cookie, else joined with ', '). */
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
/** 1 for the characters of an HTTP token (RFC 9110 §5.6.2: a header name), 2 for those that are also upper-case letters. */
const tokenChars = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") tokenChars[char.charCodeAt(0)] = 1;
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') tokenChars[char.charCodeAt(0)] = 2;
const digits = /^\d{1,15}$/;
/** Headers whose framing or protocol meaning the fast path leaves to node. */
const handedOffHeaders: ReadonlySet<string> = new Set(['transfer-encoding', 'expect', 'upgrade', 'http2-settings']);

const headEnd = Buffer.from('\r\n\r\n');

/** Headers of which node keeps the first when a request repeats them (its _http_incoming rules). */
const firstOnly: ReadonlySet<string> = new Set([
  'age', 'authorization', 'content-type', 'etag', 'expires', 'from', 'if-modified-since', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);
/** Repeated, these go to node: a second Content-Length or Host is how requests get smuggled or misrouted. */
const neverRepeated: ReadonlySet<string> = new Set(['content-length', 'host', 'set-cookie']);

/**
 * Reads one request head off the front of `bytes`, for the common case only: HTTP/1.1, a method
 * the API uses, an origin-form target, a Host, well-formed header lines, and a body framed by a
 * single Content-Length (or none). Anything else — HTTP/1.0, chunked or `Expect: 100-continue`
 * uploads, upgrades, obs-fold, a bare CR or LF, control characters, a repeated Content-Length or
 * Host, a head over `maxHeadBytes` — comes back as a HandOff so that node's hardened parser
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
  const headers: Record<string, string> = {};
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
    // The name must be a token (a CR or LF in it was a bare line break); the value one line of
    // HTAB, visible ASCII, spaces and latin1, trimmed of spaces and tabs. One pass over each, no
    // regex: two regex tests per header were a third of this function's time with an SDK's headers.
    let upper = false;
    for (let i = at; i < colon; i++) {
      const kind = tokenChars[text.charCodeAt(i)];
      if (kind === 2) upper = true;
      else if (kind !== 1) return { handOff: 'malformed header line' };
    }
    if (colon === at) return { handOff: 'malformed header line' };
    let valueStart = colon + 1;
    let code = text.charCodeAt(valueStart);
    while (valueStart < next && (code === 32 || code === 9)) code = text.charCodeAt(++valueStart);
    let valueEnd = valueStart;
    for (let i = valueStart; i < next; i++) {
      code = text.charCodeAt(i);
      if (code < 32 ? code !== 9 : code === 127) return { handOff: 'malformed header line' };
      if (code !== 32 && code !== 9) valueEnd = i + 1;
    }
    const name = text.slice(at, colon);
    const value = text.slice(valueStart, valueEnd);
    at = next + 2;
    const key = upper ? name.toLowerCase() : name;
    rawHeaders.push(name, value);
    // The names with a meaning here all have one of these lengths: most headers skip the lookups.
    const { length } = key;
    if (length === 4 || length === 6 || length === 7 || length === 10 || length === 14 || length === 17) {
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
    }
    const earlier = headers[key];
    if (earlier === undefined) headers[key] = value;
    else {
      // Merged as node merges a repeated header. A name Object.prototype has (constructor,
      // __proto__, toString …) looks repeated here, and goes to node with the smuggling-prone ones.
      if (neverRepeated.has(key) || typeof earlier !== 'string') return { handOff: `repeated header ${key}` };
      if (!firstOnly.has(key)) headers[key] = key === 'cookie' ? `${earlier}; ${value}` : `${earlier}, ${value}`;
    }
  }
  if (!host) return { handOff: 'no host header' };
  return { method, url, rawHeaders, headers, contentLength, keepAlive, headLength: end + 4 };
}
