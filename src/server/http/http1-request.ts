import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHead } from './parse-request-head.ts';

/**
 * A request the fast server answers (http1-server.ts). Unlike node's IncomingMessage it is not a
 * stream: the server dispatches it once its whole body is in (a body is at most server.bodyLimit;
 * a larger declared one is left to node's server, which answers 413), so the body is just bytes.
 */
export class Http1Request {
  readonly httpVersion = '1.1';
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];

  constructor(head: RequestHead, readonly body: Buffer) {
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
  }
}
