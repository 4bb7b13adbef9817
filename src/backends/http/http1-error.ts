/** What went wrong on an upstream HTTP/1.1 connection (http1-pool.ts); upstream-errors.ts maps each code to ours. */
export type Http1ErrorCode =
  /** No TCP (or TLS) connection within the connect timeout. */
  | 'HTTP1_CONNECT_TIMEOUT'
  /** Not one byte of the answer within the first-byte timeout. */
  | 'HTTP1_HEADERS_TIMEOUT'
  /** The answer started, then nothing arrived for the idle timeout. */
  | 'HTTP1_BODY_TIMEOUT'
  /** The upstream closed the connection before its answer was complete. */
  | 'HTTP1_SOCKET_CLOSED'
  /** The connection ended before the Content-Length the upstream announced. */
  | 'HTTP1_LENGTH_MISMATCH'
  /** Bytes that are not an HTTP/1.x answer (status line, header, chunk framing, sizes). */
  | 'HTTP1_BAD_RESPONSE'
  /** A header we were asked to send cannot be sent (a CR or LF in it, a name that is not a token). */
  | 'HTTP1_BAD_REQUEST'
  /** The pool was closed or destroyed. */
  | 'HTTP1_POOL_CLOSED'
  /** The answer is larger than the pool's maxResponseBytes (announced, or counted as it arrived). */
  | 'HTTP1_RESPONSE_TOO_LARGE'
  /** The answer is compressed (Content-Encoding other than identity) though we asked for identity. */
  | 'HTTP1_UNSUPPORTED_ENCODING';

export class Http1Error extends Error {
  constructor(
    readonly code: Http1ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'Http1Error';
  }
}
