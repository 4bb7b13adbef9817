import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import { UnbundleError } from '../errors.ts';
import type { EvalResults } from './eval-results.ts';

/**
 * Writes measured quality into a portfolio config as `quality: {domain: score}` on each model
 * entry — the key the router's cost/quality selection reads. The YAML is edited through its
 * Document, so comments, key order and formatting elsewhere survive, and publishing the same
 * results twice changes nothing.
 */

export interface QualityChange {
  model: string;
  domain: string;
  before: number | undefined;
  after: number;
}

export interface PublishPlan {
  /** The config text after publishing (equal to the input when nothing changes). */
  text: string;
  changes: QualityChange[];
  /** Result models that have no entry in the config (left alone). */
  notInConfig: string[];
}

export interface PublishOptions {
  /** The domain for suites whose items carry none (default: the suite's name). */
  domain?: string;
  /** Only these models (default: every model in the results). */
  models?: readonly string[];
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

/** Domain → score for one model: its per-domain scores, or its overall score under `fallbackDomain`. */
export function qualityTable(results: EvalResults, modelId: string, fallbackDomain: string): Record<string, number> {
  const summary = results.models.find((entry) => entry.model.id === modelId);
  if (!summary) return {};
  const table: Record<string, number> = {};
  const domains = (summary.domains ?? []).filter((domain) => typeof domain.estimate === 'number' && Number.isFinite(domain.estimate));
  if (domains.length > 0) for (const domain of domains) table[domain.domain] = round(domain.estimate);
  else if (typeof summary.estimate === 'number' && Number.isFinite(summary.estimate)) table[fallbackDomain] = round(summary.estimate);
  return table;
}

/** The router's rule for domain names (src/router: lower-case, `unsure` reserved for its classifier). */
const domainPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const reservedDomain = 'unsure';

function checkDomains(results: EvalResults, ids: readonly string[], fallbackDomain: string, fromFlag: boolean): void {
  const bad = new Set<string>();
  for (const id of ids) {
    for (const domain of Object.keys(qualityTable(results, id, fallbackDomain))) {
      if (!domainPattern.test(domain) || domain === reservedDomain) bad.add(domain);
    }
  }
  if (bad.size === 0) return;
  const list = [...bad].map((domain) => `"${domain}"`).join(', ');
  const fix = [...bad].includes(fallbackDomain)
    ? fromFlag
      ? 'pass a --domain such as support or code'
      : `the suite's items have no domain, so its name is used: pass --domain with a name such as support or code`
    : 'rename the items\' domain in the suite and run it again';
  throw new UnbundleError('UNBUNDLE_E_DATA', `cannot publish the domain(s) ${list}: the router needs lower-case names of letters, digits, "_" and "-" (not "${reservedDomain}") — ${fix}`);
}

function checkPublishable(results: EvalResults): void {
  if (results.format !== 'unbundle-eval-results/1') {
    throw new UnbundleError('UNBUNDLE_E_DATA', `not an unbundle results file (format "${String(results.format)}"): pass the results.json that "unbundle eval run" wrote`);
  }
  if (!results.suite.higherIsBetter) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `the primary metric "${results.suite.primary}" is lower-is-better, but quality is a score from 0 to 1 where higher is better — publish a suite ranked by an accuracy-like metric`);
  }
  for (const summary of results.models) {
    const values = [summary.estimate, ...(summary.domains ?? []).map((domain) => domain.estimate)].filter((value): value is number => typeof value === 'number');
    const outside = values.find((value) => value < 0 || value > 1);
    if (outside !== undefined) {
      throw new UnbundleError('UNBUNDLE_E_DATA', `${summary.model.id} scored ${outside} on "${results.suite.primary}", outside 0..1 — quality must be a share such as accuracy`);
    }
  }
}

function modelEntry(document: Document, id: string): YAMLMap | undefined {
  const models = document.get('models', true);
  if (!isSeq(models)) return undefined;
  return models.items.find((item): item is YAMLMap => isMap(item) && item.get('id') === id);
}

interface Edit {
  at: number;
  /** Characters replaced from `at` (0 for an insertion). */
  length: number;
  text: string;
}

const yamlKey = (key: string): string => (/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(key) ? key : JSON.stringify(key));

/** The column a node starts at in the source: the indentation its siblings share. */
function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** Splices new lines (or flow pairs) at a collection's end; a block collection ends at a line start. */
function appendTo(text: string, node: YAMLMap, pairs: Array<[string, number]>, blockIndent: number): Edit {
  const end = node.range![1];
  if (node.flow) {
    const close = text.lastIndexOf('}', end);
    const list = pairs.map(([key, value]) => `${yamlKey(key)}: ${value}`).join(', ');
    // "{ a: 1 }" → "{ a: 1, b: 2 }"; "{}" → "{ b: 2 }".
    if (node.items.length === 0) return { at: text.lastIndexOf('{', close), length: close + 1 - text.lastIndexOf('{', close), text: `{ ${list} }` };
    const before = text.slice(0, close).trimEnd();
    return { at: before.length, length: 0, text: `, ${list}` };
  }
  const lead = end > 0 && text[end - 1] !== '\n' ? '\n' : '';
  const pad = ' '.repeat(blockIndent);
  return { at: end, length: 0, text: `${lead}${pairs.map(([key, value]) => `${pad}${yamlKey(key)}: ${value}\n`).join('')}` };
}

/**
 * Plans (and renders) the edit; nothing is written. The Document API finds the nodes; the text is
 * changed only at their source ranges, so every other byte — comments, spacing, quoting, long
 * lines — stays exactly as the user wrote it.
 */
export function publishQuality(configText: string, configSource: string, results: EvalResults, options: PublishOptions = {}): PublishPlan {
  checkPublishable(results);
  const document = parseDocument(configText, { uniqueKeys: true, keepSourceTokens: false });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `${configSource}: YAML syntax error at line ${error.linePos?.[0]?.line ?? '?'}: ${error.message.split('\n')[0]}`);
  }
  if (!isSeq(document.get('models', true))) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `${configSource}: models: the config has no "models" list to publish quality into — add the models first`);
  }
  const fallbackDomain = options.domain ?? results.suite.name;
  const wanted = options.models ?? results.models.map((summary) => summary.model.id);
  const unknown = wanted.filter((id) => !results.models.some((summary) => summary.model.id === id));
  if (unknown.length > 0) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `--models: ${unknown.join(', ')} not in the results; they hold ${results.models.map((summary) => summary.model.id).join(', ')}`);
  }
  checkDomains(results, wanted, fallbackDomain, options.domain !== undefined);
  const changes: QualityChange[] = [];
  const notInConfig: string[] = [];
  const edits: Edit[] = [];
  const expected = new Map<string, Record<string, number>>();
  for (const id of wanted) {
    const entry = modelEntry(document, id);
    if (!entry) {
      notInConfig.push(id);
      continue;
    }
    const table = qualityTable(results, id, fallbackDomain);
    const existing = entry.get('quality', true);
    if (existing !== undefined && !isMap(existing)) {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `${configSource}: models[id=${id}].quality must be a mapping of domain to score — fix or remove it, then publish again`);
    }
    const added: Array<[string, number]> = [];
    const final: Record<string, number> = {};
    for (const pair of existing?.items ?? []) {
      const value = (pair.value as { value?: unknown } | null)?.value;
      if (typeof value === 'number') final[String((pair.key as { value?: unknown }).value)] = value;
    }
    for (const [domain, after] of Object.entries(table)) {
      final[domain] = after;
      const pair = existing?.items.find((item) => String((item.key as { value?: unknown }).value) === domain);
      const current = (pair?.value as { value?: unknown } | null | undefined)?.value;
      const before = typeof current === 'number' ? current : undefined;
      if (before === after) continue;
      changes.push({ model: id, domain, before, after });
      const range = (pair?.value as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) edits.push({ at: range[0], length: range[1] - range[0], text: String(after) });
      else added.push([domain, after]);
    }
    expected.set(id, final);
    if (added.length === 0) continue;
    if (existing) {
      const first = existing.items[0]?.key as { range?: [number, number, number] } | undefined;
      const indent = first?.range ? columnOf(configText, first.range[0]) : columnOf(configText, (entry.items[0]!.key as { range: [number, number, number] }).range[0]) + 2;
      edits.push(appendTo(configText, existing, added, indent));
    } else {
      const indent = columnOf(configText, (entry.items[0]!.key as { range: [number, number, number] }).range[0]);
      if (entry.flow) {
        const close = configText.lastIndexOf('}', entry.range![1]);
        edits.push({ at: close, length: 0, text: `, quality: { ${added.map(([key, value]) => `${yamlKey(key)}: ${value}`).join(', ')} }` });
      } else {
        const end = entry.range![1];
        const lead = end > 0 && configText[end - 1] !== '\n' ? '\n' : '';
        const pad = ' '.repeat(indent);
        edits.push({ at: end, length: 0, text: `${lead}${pad}quality:\n${added.map(([key, value]) => `${pad}  ${yamlKey(key)}: ${value}\n`).join('')}` });
      }
    }
  }
  let text = configText;
  for (const edit of edits.sort((a, b) => b.at - a.at)) text = text.slice(0, edit.at) + edit.text + text.slice(edit.at + edit.length);
  verify(text, configSource, expected);
  return { text, changes, notInConfig };
}

/** The spliced text must parse back to exactly the planned tables; anything else is our bug. */
function verify(text: string, configSource: string, expected: ReadonlyMap<string, Record<string, number>>): void {
  const document = parseDocument(text, { uniqueKeys: true });
  for (const [id, table] of expected) {
    const entry = document.errors.length === 0 ? modelEntry(document, id) : undefined;
    const quality = entry?.get('quality', true);
    const actual = isMap(quality) ? (quality.toJSON() as Record<string, unknown>) : undefined;
    if (document.errors.length > 0 || JSON.stringify(actual) !== JSON.stringify(table)) {
      throw new UnbundleError('UNBUNDLE_E_INTERNAL', `publishing into ${configSource} would not give ${id} the quality ${JSON.stringify(table)} — the file is left unchanged; please report this with the config's models section`);
    }
  }
}
