import { UnbundleError } from '../errors.ts';

/**
 * Why the server could not listen, said so the user can act: a port in use or not allowed, an
 * address this machine does not have. Other errors pass through unchanged.
 */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  const choose = 'choose another with --port N (or server.port in the portfolio; 0 picks a free port)';
  switch (error.code) {
    case 'EADDRINUSE':
      return new UnbundleError('UNBUNDLE_E_CONFIG', `Cannot listen on ${where}: the port is already in use (another unbundle, or another server, listens there). Stop that process, or ${choose}.`, { cause: error });
    case 'EACCES':
      return new UnbundleError('UNBUNDLE_E_CONFIG', `Cannot listen on ${where}: this user may not open that port (ports below 1024 need privileges). ${choose[0]!.toUpperCase()}${choose.slice(1)}.`, { cause: error });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UnbundleError('UNBUNDLE_E_CONFIG', `Cannot listen on ${where}: this machine has no address "${host}". Use --host (or server.host) with one of its addresses, e.g. 127.0.0.1 or 0.0.0.0.`, { cause: error });
    default:
      return error;
  }
}
