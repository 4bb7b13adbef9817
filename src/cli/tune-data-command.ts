import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { createScanner } from '../policy/create-scanner.ts';
import { loadScannerOptions } from '../policy/scanner-config.ts';
import { datasetStats } from '../tune/data/dataset-stats.ts';
import { describeProblems } from '../tune/data/dataset-records.ts';
import { prepareDataset } from '../tune/data/prepare-dataset.ts';
import { parseColumnMap, readDataSource, type SourceFormat, type SourceOptions } from '../tune/data/read-data-source.ts';
import { openTuneTokenizer } from '../tune/data/tune-tokenizer.ts';
import { intFlag, parseCommandArgs, type Command, type CommandIO } from './command.ts';

const name = 'tune data';

function usageError(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message} Run "unbundle ${name} --help" for usage.`);
}

const sourceFlags = {
  format: { type: 'string' },
  columns: { type: 'string' },
  paragraphs: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function sourceOptions(values: { format?: string | undefined; columns?: string | undefined; paragraphs?: boolean | undefined }): SourceOptions {
  const options: SourceOptions = {};
  if (values.format !== undefined) {
    if (!['jsonl', 'csv', 'text'].includes(values.format)) throw usageError(`--format must be jsonl, csv or text, got "${values.format}".`);
    options.format = values.format as SourceFormat;
  }
  if (values.columns !== undefined) options.columns = parseColumnMap(values.columns);
  if (values.paragraphs) options.textUnit = 'paragraph';
  return options;
}

function ratioFlag(flag: string, value: string | undefined, fallback: number, max = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) throw usageError(`--${flag} must be a number from 0 to ${max}, got "${value}".`);
  return n;
}

async function prepare(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(`${name} prepare`, argv, {
    ...sourceFlags,
    out: { type: 'string' },
    'skip-invalid': { type: 'boolean' },
    dedupe: { type: 'string' },
    'near-threshold': { type: 'string' },
    scrub: { type: 'string' },
    'scan-config': { type: 'string' },
    'val-ratio': { type: 'string' },
    seed: { type: 'string' },
  }, true);
  if (positionals.length === 0) throw usageError('prepare needs at least one data file.');
  if (!values.out) throw usageError('prepare needs --out DIR (where train.jsonl and validation.jsonl go).');
  const dedupe = values.dedupe ?? 'near';
  if (!['near', 'exact', 'off'].includes(dedupe)) throw usageError(`--dedupe must be near, exact or off, got "${dedupe}".`);
  const scrub = values.scrub ?? 'replace';
  if (!['replace', 'drop', 'off'].includes(scrub)) throw usageError(`--scrub must be replace, drop or off, got "${scrub}".`);
  const file = (p: string): string => path.resolve(io.cwd, p);
  const scanner = scrub === 'off' ? undefined : createScanner(values['scan-config'] ? loadScannerOptions(file(values['scan-config'])) : {});
  const report = prepareDataset({
    inputs: positionals.map(file),
    outDir: file(values.out),
    source: sourceOptions(values),
    skipInvalid: values['skip-invalid'] ?? false,
    dedupe: dedupe as 'near' | 'exact' | 'off',
    nearThreshold: ratioFlag('near-threshold', values['near-threshold'], 0.8),
    scrub: scrub as 'replace' | 'drop' | 'off',
    ...(scanner ? { scanner } : {}),
    validationRatio: ratioFlag('val-ratio', values['val-ratio'], 0.1, 0.9),
    seed: intFlag(`${name} prepare`, 'seed', values.seed, 0, 2 ** 31 - 1) ?? 42,
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const read = report.inputs.reduce((n, i) => n + i.records + i.invalid, 0);
  const lines = [
    `read ${read} examples from ${report.inputs.length} file${report.inputs.length === 1 ? '' : 's'}${report.invalid.length > 0 ? `; skipped ${report.invalid.length} invalid (first: ${report.invalid[0]!.at} ${report.invalid[0]!.message})` : ''}`,
    `duplicates removed: ${report.duplicates.exact} exact, ${report.duplicates.near} near`,
    report.scrub.mode === 'off'
      ? 'scrubbing: off'
      : `scrubbing (${report.scrub.mode}): ${report.scrub.affectedRecords} examples held sensitive values${Object.keys(report.scrub.detections).length > 0 ? ` (${Object.entries(report.scrub.detections).map(([t, n]) => `${t} ${n}`).join(', ')})` : ''}${report.scrub.mode === 'drop' ? `; ${report.scrub.dropped.length} dropped` : ''}`,
    `split (seed ${report.seed}, ${report.validationRatio} validation): ${report.train} train, ${report.validation} validation`,
    `wrote ${report.files.train}, ${report.files.validation} and ${report.files.report}`,
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function validate(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(`${name} validate`, argv, sourceFlags, true);
  if (positionals.length === 0) throw usageError('validate needs at least one data file.');
  let bad = 0;
  const results = [];
  for (const given of positionals) {
    const read = readDataSource(path.resolve(io.cwd, given), sourceOptions(values));
    bad += read.problems.length;
    results.push({ file: given, format: read.format, records: read.records.length, problems: read.problems });
    if (!values.json) {
      io.stdout.write(read.problems.length === 0 ? `${given}: ${read.records.length} examples, all valid (${read.format})\n` : `${describeProblems(given, read.problems)}\n`);
    }
  }
  if (values.json) io.stdout.write(`${JSON.stringify(results)}\n`);
  return bad === 0 ? 0 : 1;
}

async function stats(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(`${name} stats`, argv, { ...sourceFlags, base: { type: 'string' }, context: { type: 'string' } }, true);
  if (positionals.length !== 1) throw usageError('stats needs exactly one data file.');
  if (!values.base) throw usageError('stats needs --base MODEL.gguf (token counts use the base model\'s own tokenizer).');
  const read = readDataSource(path.resolve(io.cwd, positionals[0]!), sourceOptions(values));
  if (read.problems.length > 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${describeProblems(positionals[0]!, read.problems)}\nRun "unbundle tune data validate" and fix them first.`);
  const tokenizer = await openTuneTokenizer(path.resolve(io.cwd, values.base));
  let result;
  try {
    result = datasetStats(read.records, tokenizer, intFlag(`${name} stats`, 'context', values.context, 1) ?? 2048);
  } finally {
    await tokenizer.close();
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const widest = Math.max(1, ...result.histogram.map((h) => h.count));
  const lines = [
    `${result.records} examples → ${result.sequences} training sequences (${Object.entries(result.byKind).map(([k, n]) => `${n} ${k}`).join(', ')})`,
    `tokens: ${result.tokens} in all, ${result.scoredTokens} scored (the loss is computed on these)`,
    `sequence length: min ${result.min}, p50 ${result.p50}, p95 ${result.p95}, max ${result.max}, mean ${result.mean}`,
    `over the context of ${result.contextSize}: ${result.overContext} (the trainer splits them into windows)`,
    'length histogram:',
    ...result.histogram.map((h) => `  ≤${String(h.upTo).padStart(6)} ${'#'.repeat(Math.round((h.count / widest) * 40)).padEnd(40)} ${h.count}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export const tuneDataCommand: Command = {
  name,
  summary: 'Prepare training data: validate, dedupe, scrub, split, token stats',
  usage: `Usage:
  unbundle tune data prepare FILE... --out DIR [options]
  unbundle tune data validate FILE... [--format F] [--columns MAP] [--json]
  unbundle tune data stats FILE --base MODEL.gguf [--context N] [--json]

Reads chat JSONL (OpenAI's fine-tuning format: {"messages": [...]}), prompt/completion JSONL,
{"text"} JSONL, CSV with named columns, or plain text (one example per line, or per paragraph).

prepare writes DIR/train.jsonl, DIR/validation.jsonl and DIR/prepare-report.json:
  --skip-invalid          leave bad lines out (listed in the report) instead of stopping
  --dedupe MODE           near (default: exact + MinHash near-duplicates), exact, or off
  --near-threshold X      Jaccard similarity that counts as a near duplicate (default 0.8)
  --scrub MODE            replace (default: sensitive values become <TYPE>), drop, or off
  --scan-config FILE      detector settings (custom detectors, allow-list), as for "unbundle scan"
  --val-ratio X           share held out for validation (default 0.1); the split is by content
                          hash and seed, so adding data never moves old examples across it
  --seed N                split seed (default 42)

Source options (all subcommands):
  --format F              jsonl, csv or text (default: from the file extension)
  --columns MAP           CSV columns, e.g. prompt=question,completion=answer or user=q,assistant=a
                          or text=body (default: guessed from the header)
  --paragraphs            plain text: one example per blank-line-separated paragraph
  --json                  machine-readable output
`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'prepare') return prepare(rest, io);
    if (sub === 'validate') return validate(rest, io);
    if (sub === 'stats') return stats(rest, io);
    throw usageError(sub === undefined ? 'give a subcommand: prepare, validate or stats.' : `unknown subcommand "${sub}"; use prepare, validate or stats.`);
  },
};
