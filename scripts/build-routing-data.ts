/**
 * Builds the domain-routing data set from the open data sets in ../shared/data (see its README for
 * sources and licences: BANKING77, MBPP, HumanEval, GSM8K, MMLU, MT-Bench).
 *
 *   npx tsx scripts/build-routing-data.ts --out DIR [--data-dir DIR] [--split FILE]
 *   npx tsx scripts/build-routing-data.ts --make-split [--seed N] [--split FILE]
 *
 * The repository keeps only the split's row ids (test/fixtures/routing/split.json), never the
 * texts; the first form turns those ids back into train.jsonl, test.jsonl and holdout.jsonl.
 * `holdout` holds sources the classifier never trains on, to check it generalises.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { UnbundleError } from '../src/errors.ts';
import { parseCsv } from '../src/router/classifier/parse-csv.ts';
import { seededRandom, shuffleInPlace } from '../src/util/seeded-random.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const defaultSplitFile = path.join(repoRoot, 'test/fixtures/routing/split.json');

/** The open data sets: `../shared/data` beside the repository, or `$UNBUNDLE_SHARED_DIR/data`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UNBUNDLE_SHARED_DIR ? path.join(env.UNBUNDLE_SHARED_DIR, 'data') : path.resolve(repoRoot, '../shared/data');
}

export type SplitPart = 'train' | 'test' | 'holdout';

/** One labelled row of the built set; `source` and `id` let a report break results down. */
export interface RoutingRow {
  text: string;
  domain: string;
  source: string;
  id: string;
}

interface RoutingSource {
  name: string;
  domain: string;
  /** Row id → prompt text. */
  rows: Map<string, string>;
  /** Rows of one group (an MT-Bench question's two turns) stay on one side of the split. */
  group(id: string): string;
  /** How the split treats the source: a train/test ratio, a fixed sample, or held out entirely. */
  plan: { kind: 'ratio'; test: number } | { kind: 'sample'; part: 'train' | 'test'; count: number } | { kind: 'holdout' };
}

const mmluAreas: Record<string, string[]> = {
  finance: ['professional_accounting', 'high_school_macroeconomics', 'high_school_microeconomics', 'econometrics', 'business_ethics', 'marketing', 'management'],
  code: ['college_computer_science', 'high_school_computer_science', 'computer_security', 'machine_learning'],
  math: ['elementary_mathematics', 'high_school_mathematics', 'college_mathematics', 'high_school_statistics'],
  knowledge: ['global_facts', 'miscellaneous', 'high_school_geography', 'nutrition', 'prehistory'],
};

function readData(dataDir: string, file: string): string {
  const full = path.join(dataDir, file);
  if (!existsSync(full)) {
    throw new UnbundleError(
      'UNBUNDLE_E_DATA',
      `Routing data source not found: ${full}. Pass --data-dir with the folder holding the open data sets (banking77/, mbpp/, humaneval/, gsm8k/, mmlu/, mt-bench/), or set UNBUNDLE_SHARED_DIR to the folder that contains data/.`,
    );
  }
  return file.endsWith('.gz') ? gunzipSync(readFileSync(full)).toString('utf8') : readFileSync(full, 'utf8');
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const byIndex = (texts: string[]): Map<string, string> => new Map(texts.map((text, index) => [String(index), text]));
const sameId = (id: string): string => id;

/** Every source, with the domain its rows are labelled with. */
export function loadRoutingSources(dataDir: string): RoutingSource[] {
  const sources: RoutingSource[] = [];
  for (const [file, part, count] of [['train', 'train', 1500], ['test', 'test', 400]] as const) {
    const records = parseCsv(readData(dataDir, `banking77/${file}.csv`)).slice(1);
    sources.push({ name: `banking77/${file}`, domain: 'support', rows: byIndex(records.map((r) => r.fields[0]!)), group: sameId, plan: { kind: 'sample', part, count } });
  }
  const mbpp = jsonLines(readData(dataDir, 'mbpp/mbpp.jsonl'));
  sources.push({ name: 'mbpp', domain: 'code', rows: new Map(mbpp.map((r) => [String(r.task_id), String(r.text)])), group: sameId, plan: { kind: 'ratio', test: 0.3 } });
  const gsm8k = jsonLines(readData(dataDir, 'gsm8k/test.jsonl'));
  sources.push({ name: 'gsm8k', domain: 'math', rows: byIndex(gsm8k.map((r) => String(r.question))), group: sameId, plan: { kind: 'ratio', test: 0.3 } });
  for (const [domain, subjects] of Object.entries(mmluAreas)) {
    for (const subject of subjects) {
      const records = parseCsv(readData(dataDir, `mmlu/test/${subject}_test.csv`));
      const texts = records.map(({ fields: f }) => `${f[0]}\nA. ${f[1]}\nB. ${f[2]}\nC. ${f[3]}\nD. ${f[4]}`);
      sources.push({ name: `mmlu/${subject}`, domain, rows: byIndex(texts), group: sameId, plan: { kind: 'ratio', test: 0.3 } });
    }
  }
  // MT-Bench: writing and roleplay are the only open writing prompts here. Second turns of roleplay
  // depend on the conversation ("Ich verstehe nur Bahnhof"), so only writing keeps both turns.
  const mtBench = jsonLines(readData(dataDir, 'mt-bench/question.jsonl'));
  const writing = new Map<string, string>();
  const heldOut = new Map<string, { text: string; domain: string }>();
  for (const q of mtBench) {
    const turns = q.turns as string[];
    if (q.category === 'writing' || q.category === 'roleplay') {
      writing.set(`${q.question_id}.0`, turns[0]!);
      if (q.category === 'writing') writing.set(`${q.question_id}.1`, turns[1]!);
    }
    if (q.category === 'math' || q.category === 'coding') heldOut.set(`${q.question_id}.0`, { text: turns[0]!, domain: q.category === 'math' ? 'math' : 'code' });
  }
  sources.push({ name: 'mt-bench/writing', domain: 'writing', rows: writing, group: (id) => id.split('.')[0]!, plan: { kind: 'ratio', test: 0.3 } });
  for (const domain of ['math', 'code']) {
    const rows = new Map([...heldOut].filter(([, row]) => row.domain === domain).map(([id, row]) => [id, row.text]));
    sources.push({ name: `mt-bench/${domain}`, domain, rows, group: sameId, plan: { kind: 'holdout' } });
  }
  const humaneval = jsonLines(readData(dataDir, 'humaneval/HumanEval.jsonl.gz'));
  sources.push({ name: 'humaneval', domain: 'code', rows: new Map(humaneval.map((r) => [String(r.task_id).split('/')[1]!, String(r.prompt)])), group: sameId, plan: { kind: 'holdout' } });
  return sources;
}

/** The committed split: per source and part, the row ids as compact ranges ("0-4,7,81.0"). */
export interface RoutingSplit {
  format: 'unbundle-routing-split';
  version: 1;
  seed: number;
  sources: Record<string, { domain: string } & Partial<Record<SplitPart, string>>>;
}

/** Draws a fresh split. Test rows whose exact text also occurs in train are dropped, so test never leaks. */
export function makeRoutingSplit(sources: RoutingSource[], seed: number): RoutingSplit {
  const random = seededRandom(seed);
  const split: RoutingSplit = { format: 'unbundle-routing-split', version: 1, seed, sources: {} };
  const chosen: Array<{ source: RoutingSource; part: SplitPart; ids: string[] }> = [];
  for (const source of sources) {
    const groups = [...new Set([...source.rows.keys()].map((id) => source.group(id)))].sort();
    shuffleInPlace(groups, random);
    const idsOf = (list: string[]): string[] => {
      const wanted = new Set(list);
      return [...source.rows.keys()].filter((id) => wanted.has(source.group(id)));
    };
    const { plan } = source;
    if (plan.kind === 'holdout') chosen.push({ source, part: 'holdout', ids: [...source.rows.keys()] });
    else if (plan.kind === 'sample') chosen.push({ source, part: plan.part, ids: idsOf(groups.slice(0, plan.count)) });
    else {
      const testCount = Math.round(groups.length * plan.test);
      chosen.push({ source, part: 'test', ids: idsOf(groups.slice(0, testCount)) }, { source, part: 'train', ids: idsOf(groups.slice(testCount)) });
    }
  }
  const trainTexts = new Set(chosen.filter((c) => c.part === 'train').flatMap((c) => c.ids.map((id) => normalise(c.source.rows.get(id)!))));
  for (const { source, part, ids } of chosen) {
    const kept = part === 'train' ? ids : ids.filter((id) => !trainTexts.has(normalise(source.rows.get(id)!)));
    split.sources[source.name] ??= { domain: source.domain };
    split.sources[source.name]![part] = encodeIds(kept);
  }
  return split;
}

const normalise = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, ' ');

/** Turns the split's ids back into rows, checking that every id exists in the data. */
export function buildRoutingSets(dataDir: string, split: RoutingSplit): Record<SplitPart, RoutingRow[]> {
  const sets: Record<SplitPart, RoutingRow[]> = { train: [], test: [], holdout: [] };
  const sources = new Map(loadRoutingSources(dataDir).map((s) => [s.name, s]));
  for (const [name, entry] of Object.entries(split.sources)) {
    const source = sources.get(name);
    if (!source) throw new UnbundleError('UNBUNDLE_E_DATA', `The split names a source "${name}" that the generator does not know; regenerate it with --make-split.`);
    for (const part of ['train', 'test', 'holdout'] as const) {
      for (const id of decodeIds(entry[part] ?? '')) {
        const text = source.rows.get(id);
        if (text === undefined) throw new UnbundleError('UNBUNDLE_E_DATA', `Split id ${name}:${id} is not in ${dataDir}; the data set there differs from the one the split was drawn from.`);
        sets[part].push({ text, domain: entry.domain, source: name, id });
      }
    }
  }
  return sets;
}

export function readRoutingSplit(file: string = defaultSplitFile): RoutingSplit {
  const value = JSON.parse(readFileSync(file, 'utf8')) as RoutingSplit;
  if (value.format !== 'unbundle-routing-split' || value.version !== 1) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file} is not a version 1 routing split (format "unbundle-routing-split").`);
  }
  return value;
}

export function writeRoutingSets(sets: Record<SplitPart, RoutingRow[]>, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const part of ['train', 'test', 'holdout'] as const) {
    writeFileSync(path.join(outDir, `${part}.jsonl`), sets[part].map((row) => JSON.stringify(row)).join('\n') + '\n');
  }
}

/** Sorted ids with runs of consecutive integers folded into "a-b". */
export function encodeIds(ids: string[]): string {
  const numeric = ids.filter((id) => /^\d+$/.test(id)).map(Number).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < numeric.length; ) {
    let j = i;
    while (j + 1 < numeric.length && numeric[j + 1] === numeric[j]! + 1) j++;
    parts.push(j > i ? `${numeric[i]}-${numeric[j]}` : String(numeric[i]));
    i = j + 1;
  }
  return [...parts, ...ids.filter((id) => !/^\d+$/.test(id)).sort()].join(',');
}

export function decodeIds(encoded: string): string[] {
  if (encoded === '') return [];
  return encoded.split(',').flatMap((part) => {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (!range) return [part];
    const ids: string[] = [];
    for (let n = Number(range[1]); n <= Number(range[2]); n++) ids.push(String(n));
    return ids;
  });
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'data-dir': { type: 'string' }, split: { type: 'string' }, 'make-split': { type: 'boolean' }, seed: { type: 'string' } },
  });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const splitFile = values.split ?? defaultSplitFile;
  if (values['make-split']) {
    const split = makeRoutingSplit(loadRoutingSources(dataDir), Number(values.seed ?? 20240607));
    mkdirSync(path.dirname(splitFile), { recursive: true });
    writeFileSync(splitFile, JSON.stringify(split, null, 1) + '\n');
    console.log(`wrote ${splitFile}`);
    return;
  }
  if (!values.out) throw new UnbundleError('UNBUNDLE_E_USAGE', 'usage: build-routing-data --out DIR [--data-dir DIR] [--split FILE] | --make-split [--seed N]');
  const sets = buildRoutingSets(dataDir, readRoutingSplit(splitFile));
  writeRoutingSets(sets, values.out);
  console.log(`wrote ${values.out}: train ${sets.train.length}, test ${sets.test.length}, holdout ${sets.holdout.length} rows`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((error: unknown) => {
    console.error(`build-routing-data: ${(error as Error).message}`);
    process.exit(1);
  });
}
