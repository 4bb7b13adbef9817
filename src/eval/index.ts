/** The evaluation harness's public surface: suites, loaders, metrics, statistics. */
export * from './suite-schema.ts';
export { loadSuite, parseSuiteJsonl, validateSuite, readJsonLines, suiteToJsonl, type LoadedSuite, type LoadSuiteOptions, type ItemLine } from './load-suite.ts';
export type { SuiteIssue } from './suite-issues.ts';
export * from './metric.ts';
export { metricNames, metricRegistry, isMetricName, resolveMetric, resolveMetrics, scoreItem, type MetricName } from './metric-registry.ts';
export { loadMmlu } from './loaders/mmlu.ts';
export { loadGsm8k } from './loaders/gsm8k.ts';
export { loadHumanEval } from './loaders/humaneval.ts';
export { loadMbpp } from './loaders/mbpp.ts';
export { loadBanking77 } from './loaders/banking77.ts';
export { createLlamaTokenScorer, llamaPerplexity, perplexityFromLogprobs, type PerplexityReport } from './perplexity.ts';
export { runPythonSandboxed, networkIsolationPrefix, type SandboxResult } from './python-sandbox.ts';
export { judgeFromBackend } from './judge-from-backend.ts';
export * from './statistics.ts';
export * from './summarize-model.ts';
export * from './compare-models.ts';
export { majorityBaseline, majorityBaselineId } from './majority-baseline.ts';
