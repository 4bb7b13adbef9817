import type { IncomingMessage } from 'node:http';
import type { Http1Request } from './http1-request.ts';

/**
 * A request as the handlers see it: node's IncomingMessage (connections node's server answers) or
 * the fast server's Http1Request (the rest, see http1-server.ts). Both carry the method, target,
 * headers (lower-cased names) and raw headers; read the body with readJsonBody.
 */
export type GatewayRequest = IncomingMessage | Http1Request;

/**
 * The part of node's ServerResponse the handlers use; node's ServerResponse and the fast server's
 * Http1Response both have it, with node's meaning (headersSent is true from writeHead on; 'close'
 * before writableFinished means the client went away).
 */
export interface GatewayResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  readonly writableNeedDrain: boolean;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  hasHeader(name: string): boolean;
  removeHeader(name: string): void;
  /** `headers` as a flat [name, value, …] list or an object; merged over what setHeader set. */
  writeHead(status: number, headers?: string[] | Record<string, string>): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  flushHeaders(): void;
  on(event: 'close' | 'drain', listener: () => void): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
}
