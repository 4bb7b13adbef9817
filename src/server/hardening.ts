import type { Duplex } from 'node:stream';
import { errorCatalogue, type ErrorCode } from '../errors.ts';

/** Largest request head (request line + headers) node will parse; beyond it → 431. */
export const maxHeaderBytes = 16 * 1024;

/** req.rawHeaders holds name and value side by side: more than 100 headers → 431. */
export const tooManyHeaders = 2 * 100;

/** 127.0.0.0/8 and ::1 (also IPv4-mapped): addresses only this machine can reach. */
export function isLoopback(address: string): boolean {
  const bare = address.startsWith('::ffff:') ? address.slice(7) : address;
  return bare === '::1' || bare === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

const reasons: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function rawError(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify({ error: { message, type: errorCatalogue[code].type, code, param: null } });
  socket.end(`HTTP/1.1 ${status} ${reasons[status]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** The fast server's 408 (http1-server.ts): the request's head or body did not arrive in time. */
export function answerRequestTimeout(socket: Duplex): void {
  if (socket.writable) rawError(socket, 408, 'UNBUNDLE_E_REQUEST_TIMEOUT', requestTimeoutMessage);
  else socket.destroy();
}

const requestTimeoutMessage = 'The request did not arrive in time (server.headersTimeoutMs for the headers, server.bodyTimeoutMs for the whole request).';

/**
 * Node's 'clientError': a request it could not parse or that ran out of time. Answers in our error
 * format (431 for an oversized head, 408 for a request that did not arrive in time, else 400) and
 * closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    rawError(socket, 431, 'UNBUNDLE_E_HEADERS_TOO_LARGE', `The request headers are over ${maxHeaderBytes} bytes; send fewer or shorter headers.`);
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    rawError(socket, 408, 'UNBUNDLE_E_REQUEST_TIMEOUT', requestTimeoutMessage);
  } else {
    rawError(socket, 400, 'UNBUNDLE_E_BAD_REQUEST', 'The request is not valid HTTP/1.1.');
  }
}
