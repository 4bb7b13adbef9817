import { UnbundleError } from '../errors.ts';
import type { BoundMetric, MetricContext, MetricDefinition, MetricResult } from './metric.ts';
import { choiceMetric } from './metrics/choice.ts';
import { classificationMetric } from './metrics/classification.ts';
import { codeTestsMetric } from './metrics/code-tests.ts';
import { containsMetric } from './metrics/contains.ts';
import { exactMatchMetric } from './metrics/exact-match.ts';
import { jsonSchemaMetric } from './metrics/json-schema.ts';
import { llmJudgeMetric } from './metrics/llm-judge.ts';
import { numericMetric } from './metrics/numeric.ts';
import { perplexityMetric } from './metrics/perplexity-metric.ts';
import { regexMetric } from './metrics/regex.ts';
import { rougeLMetric } from './metrics/rouge-l.ts';
import { tokenF1Metric } from './metrics/token-f1.ts';
import type { MetricSpec, SuiteItem } from './suite-schema.ts';

/** Every metric's name: the one list the header schema, the docs and the registry derive from. */
export const metricNames = [
  'exact-match',
  'contains',
  'regex',
  'choice',
  'numeric',
  'token-f1',
  'rouge-l',
  'json-schema',
  'classification',
  'perplexity',
  'llm-judge',
  'code-tests',
] as const;

export type MetricName = (typeof metricNames)[number];

export const metricRegistry = {
  'exact-match': exactMatchMetric,
  contains: containsMetric,
  regex: regexMetric,
  choice: choiceMetric,
  numeric: numericMetric,
  'token-f1': tokenF1Metric,
  'rouge-l': rougeLMetric,
  'json-schema': jsonSchemaMetric,
  classification: classificationMetric,
  perplexity: perplexityMetric,
  'llm-judge': llmJudgeMetric,
  'code-tests': codeTestsMetric,
} as const satisfies Record<MetricName, MetricDefinition<unknown>>;

export const isMetricName = (name: string): name is MetricName => (metricNames as readonly string[]).includes(name);

/** A problem with one header metric entry: where (`metrics[1].tolerance`) and why. */
export interface MetricSpecIssue {
  path: string;
  message: string;
}

/**
 * Validates one header entry and binds its options. Returns issues instead of throwing so the
 * suite loader can report every problem of a header at once.
 */
export function resolveMetric(spec: MetricSpec, index: number): BoundMetric | MetricSpecIssue[] {
  const where = `metrics[${index}]`;
  const { metric: name, label, ...rawOptions } = typeof spec === 'string' ? { metric: spec, label: undefined } : spec;
  if (!isMetricName(name)) {
    return [{ path: `${where}${typeof spec === 'string' ? '' : '.metric'}`, message: `unknown metric "${name}"; known: ${metricNames.join(', ')}` }];
  }
  const definition: MetricDefinition<unknown> = metricRegistry[name];
  const parsed = definition.options.safeParse(rawOptions);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => ({
      path: [where, ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys.join(', ')] : [])].join('.'),
      message: issue.code === 'unrecognized_keys' ? `not an option of ${name}` : issue.message,
    }));
  }
  const options = parsed.data;
  return {
    label: label ?? name,
    metric: name,
    higherIsBetter: definition.higherIsBetter,
    needs: definition.needs,
    score: definition.bind(options),
    checkItem: (item: SuiteItem) => definition.checkItem?.(item, options),
    corpus: (results: readonly MetricResult[]) => definition.corpus?.(results, options) ?? {},
  };
}

/** Binds a list of entries (e.g. from code, not a file); throws on the first bad one. */
export function resolveMetrics(specs: readonly MetricSpec[]): BoundMetric[] {
  return specs.map((spec, index) => {
    const bound = resolveMetric(spec, index);
    if (Array.isArray(bound)) {
      throw new UnbundleError('UNBUNDLE_E_DATA', `invalid metric: ${bound.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
    }
    return bound;
  });
}

/** Scores one answer with every metric; metrics that need a model or a sandbox run one by one. */
export async function scoreItem(prediction: string, item: SuiteItem, metrics: readonly BoundMetric[], context: MetricContext = {}): Promise<Record<string, MetricResult>> {
  const results: Record<string, MetricResult> = {};
  for (const metric of metrics) results[metric.label] = await metric.score(prediction, item, context);
  return results;
}
