import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Http1Request } from './http1-request.ts';
import type { Http1Response } from './http1-response.ts';
import { ServerConnection, type ConnectionHost, type ConnectionLimits } from './server-connection.ts';

export interface Http1ServerOptions extends ConnectionLimits {
  /** How often deadlines are checked. */
  checkIntervalMs: number;
  /** Answers a request whose head or body did not arrive in time (408) on the raw socket, then closes it. */
  onTimeout: (socket: Socket) => void;
}

/**
 * The fast path of the gateway's HTTP server. It takes over the connections of a node:http
 * server (which still listens, and keeps its address, close and events) and answers the common
 * request itself: parse-request-head.ts, Http1Request and Http1Response cost a fraction of node's
 * IncomingMessage / ServerResponse streams (docs/architecture.md has the numbers). A connection
 * whose next request is anything else — chunked or `Expect` uploads, HTTP/1.0, upgrades, a
 * malformed or oversized head, a body over the limit — is handed, with the bytes already read, to
 * node's own connection handling for the rest of its life, so node's parser answers the unusual
 * and the hostile exactly as it did before this server existed.
 */
export class Http1Server implements ConnectionHost {
  closing = false;
  /** What a kept-alive answer says, as node says it: Keep-Alive's timeout in whole seconds. */
  readonly keepAliveLines: string;
  private readonly connections = new Set<ServerConnection>();
  private readonly nodeListeners: Array<(socket: Socket) => void>;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    readonly node: Server,
    private readonly handler: (request: Http1Request, response: Http1Response) => void,
    private readonly options: Http1ServerOptions,
  ) {
    // node:http answers a connection with the listener its constructor put on 'connection'.
    this.nodeListeners = node.listeners('connection') as Array<(socket: Socket) => void>;
    if (this.nodeListeners.length === 0) throw new Error('Http1Server: the node server has no connection listener to hand connections to');
    for (const listener of this.nodeListeners) node.off('connection', listener);
    this.keepAliveLines = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(options.keepAliveTimeoutMs / 1000)}\r\n`;
    node.on('connection', (socket: Socket) => {
      this.connections.add(new ServerConnection(socket, this));
    });
    node.on('listening', () => {
      clearInterval(this.sweep);
      this.sweep = setInterval(this.checkDeadlines, options.checkIntervalMs).unref();
    });
    node.on('close', () => clearInterval(this.sweep));
  }

  get limits(): ConnectionLimits {
    return this.options;
  }

  /** Connections on the fast path now (handed-off ones are node's). */
  get size(): number {
    return this.connections.size;
  }

  dispatch(request: Http1Request, response: Http1Response): void {
    this.handler(request, response);
  }

  handOff(connection: ServerConnection, socket: Socket): void {
    this.connections.delete(connection);
    for (const listener of this.nodeListeners) listener.call(this.node, socket);
  }

  forget(connection: ServerConnection): void {
    this.connections.delete(connection);
  }

  timedOut(socket: Socket): void {
    this.options.onTimeout(socket);
  }

  /** From now on answers close their connection; idle connections close now (node's too). */
  closeIdleConnections(): void {
    this.closing = true;
    for (const connection of this.connections) if (connection.idle) connection.socket.destroy();
    this.node.closeIdleConnections();
  }

  closeAllConnections(): void {
    this.closing = true;
    for (const connection of this.connections) connection.socket.destroy();
    this.node.closeAllConnections();
  }

  private readonly checkDeadlines = (): void => {
    const now = performance.now();
    for (const connection of this.connections) if (connection.deadline !== 0 && now > connection.deadline) connection.expire();
  };
}
