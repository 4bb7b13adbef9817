/**
 * The one object that travels through the house: which model answers, what to try next, and why.
 * Response headers (`x-unbundle-*`), the log line, the ledger and the dashboard all read it.
 * The router (pure) makes it; the executor (I/O) carries it out and never changes its choices.
 */
export interface Plan {
  /** The model the client asked for (an id, "auto", or a virtual model such as "auto-cheap"). */
  requested: string;
  /** The model to try first. */
  primary: string;
  /** Models to try, in order, when the primary fails with a retryable error (or fails a cascade check). */
  fallbacks: string[];
  /** Short, human-readable reasons for the choice (e.g. "explicit model"). */
  reasons: string[];
  /** The domain the router predicted, when it ran (`x-unbundle-domain`). */
  domain?: string;
  /** Classifier probabilities per domain, when a classifier ran (log line, `route explain`). */
  scores?: Record<string, number>;
  /**
   * Cascade: answer with `primary` first; when its (non-streamed) answer fails any of these
   * checks, escalate to the next model in `fallbacks`. The client sees one answer.
   */
  cascade?: CascadeCheck[];
  /** Hedging: when an attempt has not answered within this many ms, start the next model too; first answer wins. */
  hedgeAfterMs?: number;
}

/** A check the executor runs on a cascade step's answer; a failed check escalates. */
export type CascadeCheck =
  | { kind: 'json' }
  | { kind: 'json-schema'; schema: Record<string, unknown> }
  | { kind: 'regex'; pattern: string; flags?: string }
  | { kind: 'min-length'; chars: number }
  /** The model's self-reported confidence (a number 0..1 it was asked to state) is at least `min`. */
  | { kind: 'confidence'; min: number };
