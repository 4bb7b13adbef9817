import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { UnbundleError } from '../errors.ts';
import type { ItemOutcome } from './summarize-model.ts';

/**
 * The run's journal: one JSON line per (model, item) as soon as it is scored, so an interrupted run
 * loses at most the items in flight and a rerun picks up where it stopped. The first line names
 * the run; a line cut short by a crash is dropped when the journal is reopened.
 */

export const outcomeLogFormat = 'unbundle-eval-outcomes/1';

export interface RunHeader {
  format: typeof outcomeLogFormat;
  runId: string;
  suite: string;
  startedAt: string;
}

/** One model's answer to one item, as journalled. */
export interface StoredOutcome extends ItemOutcome {
  model: string;
  /** Fingerprint of the item and the settings that shape its answer; a change re-runs the item. */
  itemHash: string;
  answer: string;
  inputTokens?: number;
  /** The model that actually answered (a fallback may differ from the one asked). */
  answeredBy?: string;
  /** The gateway's request id, `<run id>:<model>:<item id>`: the key of the answer's ledger row. */
  requestId?: string;
}

export const outcomeKey = (model: string, itemId: string): string => `${model}\u0000${itemId}`;

export interface OutcomeLog {
  header: RunHeader | undefined;
  outcomes: Map<string, StoredOutcome>;
  /** A trailing line cut short by an interruption (dropped). */
  truncatedTail: boolean;
}

/** Reads a journal; a missing file is an empty log. Malformed lines other than the last are an error. */
export function readOutcomeLog(file: string): OutcomeLog {
  const outcomes = new Map<string, StoredOutcome>();
  if (!existsSync(file)) return { header: undefined, outcomes, truncatedTail: false };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // Everything after the last newline is a write that never finished.
  const tail = lines.pop() ?? '';
  let header: RunHeader | undefined;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UnbundleError('UNBUNDLE_E_DATA', `${file}:${index + 1}: not valid JSON — the results journal is damaged; delete it or pass --fresh to start over`);
    }
    const record = value as { run?: RunHeader } & Partial<StoredOutcome>;
    if (index === 0 && record.run) {
      header = record.run;
      return;
    }
    if (typeof record.model !== 'string' || typeof record.itemId !== 'string') {
      throw new UnbundleError('UNBUNDLE_E_DATA', `${file}:${index + 1}: not an outcome line (needs "model" and "itemId") — delete the journal or pass --fresh`);
    }
    outcomes.set(outcomeKey(record.model, record.itemId), record as StoredOutcome);
  });
  if (lines.length > 0 && header === undefined) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file}:1: the first line must name the run ({"run": {...}}) — this is not an unbundle results journal`);
  }
  return { header, outcomes, truncatedTail: tail.trim() !== '' };
}

/** Appends outcome lines with synchronous writes: each scored item is on disk before the next starts. */
export class OutcomeLogWriter {
  private readonly fd: number;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens a journal for appending; a fresh one gets the run header first, a cut-short tail is cut off. */
  static open(file: string, header: RunHeader, fresh: boolean): OutcomeLogWriter {
    if (fresh || !existsSync(file)) {
      const fd = openSync(file, 'w');
      writeSync(fd, `${JSON.stringify({ run: header })}\n`);
      return new OutcomeLogWriter(fd);
    }
    const text = readFileSync(file);
    const intact = text.lastIndexOf(0x0a) + 1;
    if (intact < text.length) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, intact);
      closeSync(fd);
    }
    return new OutcomeLogWriter(openSync(file, 'a'));
  }

  append(outcome: StoredOutcome): void {
    writeSync(this.fd, `${JSON.stringify(outcome)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
