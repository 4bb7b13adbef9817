import { UnbundleError } from '../../errors.ts';

/** The caller cancelled (client gone, deadline, a hedge that lost) before or while the upstream was asked. */
export function cancelled(cause: unknown): UnbundleError {
  // The server's shutdown cut the request: its own error (503, retryable) goes on.
  if (cause instanceof UnbundleError && cause.code === 'UNBUNDLE_E_SHUTTING_DOWN') return cause;
  return new UnbundleError('UNBUNDLE_E_CANCELLED', 'The request was cancelled by the caller.', { cause });
}
