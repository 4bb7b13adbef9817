import { UnbundleError } from '../errors.ts';
import { loadBanking77 } from './loaders/banking77.ts';
import { loadGsm8k } from './loaders/gsm8k.ts';
import { loadHumanEval } from './loaders/humaneval.ts';
import { loadMbpp } from './loaders/mbpp.ts';
import { loadMmlu } from './loaders/mmlu.ts';
import type { LoaderOptions } from './loaders/read-data-file.ts';
import { loadSuite, type LoadedSuite } from './load-suite.ts';

/**
 * Where `--suite` can come from: a suite file, or `<loader>:<path>` for a public data set in its
 * original format. One list, which `unbundle eval list` prints.
 */
export const suiteLoaderNames = ['mmlu', 'gsm8k', 'humaneval', 'mbpp', 'banking77'] as const;
export type SuiteLoaderName = (typeof suiteLoaderNames)[number];

export const suiteLoaders = {
  mmlu: { reads: 'MMLU release CSVs: one file, or a folder of <subject>_test.csv', metric: 'choice', load: loadMmlu },
  gsm8k: { reads: 'GSM8K JSONL (question, answer ending in "#### N")', metric: 'numeric', load: loadGsm8k },
  humaneval: { reads: 'HumanEval JSONL or .jsonl.gz', metric: 'code-tests', load: loadHumanEval },
  mbpp: { reads: 'MBPP JSONL', metric: 'code-tests', load: loadMbpp },
  banking77: { reads: 'BANKING77 CSV (text,category) with categories.json beside it', metric: 'classification', load: loadBanking77 },
} as const satisfies Record<SuiteLoaderName, { reads: string; metric: string; load: (file: string, options: LoaderOptions) => Promise<LoadedSuite> }>;

const isLoaderName = (name: string): name is SuiteLoaderName => (suiteLoaderNames as readonly string[]).includes(name);

/** `suite.jsonl`, `suite.yaml`, or `<loader>:<path>` such as `gsm8k:data/gsm8k/test.jsonl`. */
export async function openSuite(spec: string, options: LoaderOptions = {}): Promise<LoadedSuite> {
  const match = /^([a-z0-9]+):(.+)$/.exec(spec);
  // A Windows drive letter (C:\...) is one letter; loader names are longer.
  if (match && match[1]!.length > 1) {
    const name = match[1]!;
    if (!isLoaderName(name)) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `--suite "${spec}": unknown loader "${name}"; known: ${suiteLoaderNames.join(', ')} (or give a suite .jsonl/.yaml file)`);
    }
    return suiteLoaders[name].load(match[2]!, options);
  }
  return loadSuite(spec, options.skipInvalid !== undefined ? { skipInvalid: options.skipInvalid } : {});
}
