import type { Gateway } from '../gateway.ts';
import type { RequestContext } from '../request-context.ts';

/** What an admin handler gets: the request, its path parameters, and the running gateway. */
export interface AdminRequest {
  ctx: RequestContext;
  gateway: Gateway;
  /** `:name` segments of the route's path, e.g. { id: 'a1b2c3d4e5f6' }. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (read on demand, with the server's body limit). */
  body(): Promise<unknown>;
}

/** A handler's answer: sent as JSON with this status (default 200). */
export interface AdminResult {
  status?: number;
  body: unknown;
  /** The handler wrote the response itself (a server-sent event stream): nothing more is sent. */
  streamed?: boolean;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under /admin/, with `:name` for a path parameter: `/admin/keys/:id`. */
  path: `/admin/${string}`;
  /** One line for the index at GET /admin/ and the 404 message. */
  summary: string;
  handle(request: AdminRequest): AdminResult | Promise<AdminResult>;
}
