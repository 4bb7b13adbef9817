/** An HTTP token (RFC 9110 §5.6.2): what a header name must be, sent or received. */
export const httpToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A CR, LF or NUL: what a header value or request path we send must not hold. */
// eslint-disable-next-line no-control-regex
export const unsafeHeaderText = /[\r\n\0]/;

/** Headers the upstream client writes itself (http1-pool.ts); a configured value for one would break the framing. */
export const managedHeaders: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'accept-encoding']);
