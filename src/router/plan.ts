/**
 * The one object that travels through the house: which model answers, what to try next, and why.
 * Response headers (`x-unbundle-*`), the log line, the ledger and the dashboard all read it.
 */
export interface Plan {
  /** The model the client asked for ("auto" once the router exists). */
  requested: string;
  /** The model to try first. */
  primary: string;
  /** Models to try, in order, when the primary fails with a retryable error. */
  fallbacks: string[];
  /** Short, human-readable reasons for the choice (e.g. "explicit model"). */
  reasons: string[];
}
