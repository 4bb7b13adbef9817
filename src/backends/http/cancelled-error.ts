import { shutdownError, UnbundleError } from '../../errors.ts';

/** The caller cancelled (client gone, deadline, a hedge that lost) before or while the upstream was asked. */
export function cancelled(cause: unknown): UnbundleError {
  return shutdownError(cause) ?? new UnbundleError('UNBUNDLE_E_CANCELLED', 'The request was cancelled by the caller.', { cause });
}
