import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import type { Scanner } from '../../policy/create-scanner.ts';
import { describeProblems, type DatasetRecord, type LineProblem } from './dataset-records.ts';
import { dedupeRecords } from './dedupe-records.ts';
import { readDataSource, type SourceOptions } from './read-data-source.ts';
import { recordJson } from './record-text.ts';
import { scrubRecords, type ScrubMode } from './scrub-records.ts';
import { splitTrainValidation } from './split-records.ts';

/**
 * `unbundle tune data prepare`: files in → validated, deduplicated, scrubbed, split dataset out
 * (train.jsonl, validation.jsonl and prepare-report.json in one folder). Every step reports what it
 * removed by file and line, so nothing disappears silently.
 */
export interface PrepareOptions {
  inputs: string[];
  outDir: string;
  source?: SourceOptions;
  /** Keep going past bad lines (they are reported); default: refuse the whole run. */
  skipInvalid?: boolean;
  dedupe: 'off' | 'exact' | 'near';
  nearThreshold?: number;
  scrub: 'off' | ScrubMode;
  scanner?: Scanner;
  validationRatio: number;
  seed: number;
}

export interface PrepareReport {
  inputs: { file: string; format: string; records: number; invalid: number }[];
  invalid: { at: string; message: string }[];
  duplicates: { exact: number; near: number; examples: { at: string; of: string; similarity: number }[] };
  scrub: { mode: string; affectedRecords: number; detections: Record<string, number>; dropped: string[] };
  train: number;
  validation: number;
  seed: number;
  validationRatio: number;
  files: { train: string; validation: string; report: string };
}

export function prepareDataset(options: PrepareOptions): PrepareReport {
  if (options.inputs.length === 0) throw new UnbundleError('UNBUNDLE_E_USAGE', 'unbundle tune data prepare: give at least one data file.');
  const where = new Map<DatasetRecord, string>();
  const all: DatasetRecord[] = [];
  const inputs: PrepareReport['inputs'] = [];
  const invalid: { file: string; problems: LineProblem[] }[] = [];
  for (const file of options.inputs) {
    const read = readDataSource(file, options.source);
    inputs.push({ file, format: read.format, records: read.records.length, invalid: read.problems.length });
    if (read.problems.length > 0) invalid.push({ file, problems: read.problems });
    for (const record of read.records) {
      where.set(record, `${path.basename(file)}:${record.line}`);
      all.push(record);
    }
  }
  if (invalid.length > 0 && !options.skipInvalid) {
    const text = invalid.map((i) => describeProblems(i.file, i.problems)).join('\n');
    throw new UnbundleError('UNBUNDLE_E_DATA', `${text}\nFix them, or pass --skip-invalid to leave them out (they are listed in the report).`);
  }
  if (all.length === 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${options.inputs.join(', ')} hold no examples.`);

  const deduped = options.dedupe === 'off' ? { kept: all, exact: [], near: [] } : dedupeRecords(all, { near: options.dedupe === 'near', ...(options.nearThreshold !== undefined ? { threshold: options.nearThreshold } : {}) });
  let records = deduped.kept;
  let scrub: PrepareReport['scrub'] = { mode: 'off', affectedRecords: 0, detections: {}, dropped: [] };
  if (options.scrub !== 'off') {
    if (!options.scanner) throw new UnbundleError('UNBUNDLE_E_INTERNAL', 'scrubbing needs a scanner');
    const result = scrubRecords(records, options.scanner, options.scrub);
    scrub = { mode: options.scrub, affectedRecords: result.affected, detections: result.counts, dropped: result.dropped.map((r) => where.get(r) ?? String(r.line)) };
    // Replaced records are new objects: carry their origin over for the report.
    result.kept.forEach((record, i) => where.set(record, where.get(result.origins[i]!) ?? String(record.line)));
    records = result.kept;
  }
  const { train, validation } = splitTrainValidation(records, options.validationRatio, options.seed);
  if (train.length === 0) throw new UnbundleError('UNBUNDLE_E_DATA', `no training examples are left (validation ratio ${options.validationRatio} took all ${records.length}); lower --val-ratio.`);

  if (!existsSync(options.outDir)) mkdirSync(options.outDir, { recursive: true });
  const files = {
    train: path.join(options.outDir, 'train.jsonl'),
    validation: path.join(options.outDir, 'validation.jsonl'),
    report: path.join(options.outDir, 'prepare-report.json'),
  };
  writeFileSync(files.train, train.map((r) => `${recordJson(r)}\n`).join(''));
  writeFileSync(files.validation, validation.map((r) => `${recordJson(r)}\n`).join(''));
  const duplicates = [...deduped.exact, ...deduped.near];
  const report: PrepareReport = {
    inputs,
    invalid: invalid.flatMap((i) => i.problems.map((p) => ({ at: `${path.basename(i.file)}:${p.line}`, message: p.message }))),
    duplicates: {
      exact: deduped.exact.length,
      near: deduped.near.length,
      examples: duplicates.slice(0, 100).map((d) => ({ at: where.get(d.record) ?? String(d.line), of: where.get(d.original) ?? String(d.of), similarity: d.similarity })),
    },
    scrub,
    train: train.length,
    validation: validation.length,
    seed: options.seed,
    validationRatio: options.validationRatio,
    files,
  };
  writeFileSync(files.report, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
