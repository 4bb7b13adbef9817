import type { z } from 'zod';
import type { SuiteItem, SuiteMessage } from './suite-schema.ts';

/** One metric's verdict on one answer. `detail` says why (what was extracted, what failed). */
export interface MetricResult {
  score: number;
  detail?: Record<string, unknown>;
}

/** Log-probabilities of a text's tokens under a model: what perplexity needs, no generation. */
export interface TokenScorer {
  readonly id: string;
  /** One natural-log probability per scored token (the first token, having no context, is not scored). */
  scoreTokens(text: string, signal?: AbortSignal): Promise<{ logprobs: number[] }>;
}

/** A model that answers chat messages with text: what LLM-as-judge needs. */
export interface JudgeModel {
  /** The portfolio model id, recorded beside every judgement. */
  readonly id: string;
  generate(messages: SuiteMessage[], signal?: AbortSignal): Promise<string>;
}

/** Sandbox settings for code execution; defaults are in python-sandbox.ts. */
export interface SandboxSettings {
  python?: string;
  timeoutMs?: number;
  memoryMb?: number;
}

/** What the runner hands to the metrics that need more than the answer and the item. */
export interface MetricContext {
  scorer?: TokenScorer;
  /** Judges by model id; the llm-judge metric picks its `judge` option, or the only one given. */
  judges?: ReadonlyMap<string, JudgeModel>;
  sandbox?: SandboxSettings;
  signal?: AbortSignal;
}

export type MetricFn = (prediction: string, item: SuiteItem, context: MetricContext) => MetricResult | Promise<MetricResult>;

/** What a metric needs from the runner besides the answer. */
export type MetricNeed = 'scorer' | 'judge' | 'sandbox';

export interface MetricDefinition<Options> {
  summary: string;
  /** False for perplexity: lower is better. Reports and Pareto fronts read this. */
  higherIsBetter: boolean;
  needs?: MetricNeed;
  /** The metric's own options in a header entry; strict, so typos are reported. */
  options: z.ZodType<Options>;
  /** Why an item cannot be scored by this metric (e.g. "reference: required"), or undefined. */
  checkItem?(item: SuiteItem, options: Options): { field: string; message: string } | undefined;
  bind(options: Options): MetricFn;
  /** Corpus-level statistics over all items' results (macro-F1, corpus perplexity). */
  corpus?(results: readonly MetricResult[], options: Options): Record<string, number>;
}

/** A metric resolved from a header entry, options validated and bound. */
export interface BoundMetric {
  /** The name reports use: the entry's `label`, or the metric name. */
  label: string;
  metric: string;
  higherIsBetter: boolean;
  needs: MetricNeed | undefined;
  score: MetricFn;
  checkItem(item: SuiteItem): { field: string; message: string } | undefined;
  corpus(results: readonly MetricResult[]): Record<string, number>;
}

/** Typed identity so each metric file infers its options type from its schema. */
export function defineMetric<Options>(definition: MetricDefinition<Options>): MetricDefinition<Options> {
  return definition;
}
