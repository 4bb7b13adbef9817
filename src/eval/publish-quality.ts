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

/** Plans (and renders) the edit; nothing is written. */
export function publishQuality(configText: string, configSource: string, results: EvalResults, options: PublishOptions = {}): PublishPlan {
  checkPublishable(results);
  const document = parseDocument(configText, { uniqueKeys: true });
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
  const changes: QualityChange[] = [];
  const notInConfig: string[] = [];
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
    let quality: YAMLMap | undefined = existing;
    for (const [domain, after] of Object.entries(table)) {
      const current = quality?.get(domain);
      const before = typeof current === 'number' ? current : undefined;
      if (before === after) continue;
      if (!quality) {
        quality = document.createNode({}) as YAMLMap;
        entry.set('quality', quality);
      }
      // Other domains measured by other suites stay as they are.
      quality.set(domain, after);
      changes.push({ model: id, domain, before, after });
    }
  }
  return { text: changes.length === 0 ? configText : document.toString(), changes, notInConfig };
}
