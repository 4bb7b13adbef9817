import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { evaluatePortfolio } from '../eval/evaluate-portfolio.ts';
import { createProgressBar } from '../eval/progress-bar.ts';
import { renderResultsTable } from '../eval/render-results-table.ts';
import { openSuite } from '../eval/suite-sources.ts';
import { resolvePortfolio } from '../portfolio/resolve-portfolio.ts';
import { intFlag, parseCommandArgs, type Command } from './command.ts';

const name = 'eval run';

export const evalRunCommand: Command = {
  name,
  summary: 'Run a suite over portfolio models through the gateway: results.json and report.html',
  usage: `Usage: unbundle eval run --suite FILE --models a,b,c [--config FILE] [--out DIR] [--limit N]
                        [--concurrency K] [--seed S] [--max-tokens N] [--skip-invalid]
                        [--judge MODEL] [--threads N] [--fresh]

Sends every item of the suite to every model through the gateway's own pipeline (started
in-process on a free loopback port), scores the answers, and writes DIR/results.json,
DIR/report.html and DIR/outcomes.jsonl (the journal). Running the same command again resumes an
interrupted run: items already scored are not sent again.

Options:
  --suite FILE        a suite .jsonl or .yaml (docs/eval.md), or LOADER:PATH for a public data
                      set in its own format (see "unbundle eval list"), e.g. gsm8k:test.jsonl
  --models a,b,c      model ids from the portfolio
  --config FILE       portfolio.yaml (env: UNBUNDLE_CONFIG)
  --out DIR           output folder (default: eval-results/<suite name>)
  --limit N           only the first N items
  --concurrency K     requests in flight at once (default 1)
  --seed S            sampling seed sent with every request (default 0); temperature is always 0
  --max-tokens N      max_tokens of every answer (default: the model's default)
  --skip-invalid      leave out invalid items (listed in the report) instead of refusing the suite
  --judge MODEL       the llm-judge metric's judge model (default: any portfolio model by its id)
  --threads N         CPU threads for perplexity scoring (default: the model's threads, else 1)
  --fresh             ignore DIR/outcomes.jsonl and start over
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      suite: { type: 'string' },
      models: { type: 'string' },
      config: { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'max-tokens': { type: 'string' },
      'skip-invalid': { type: 'boolean' },
      judge: { type: 'string' },
      threads: { type: 'string' },
      fresh: { type: 'boolean' },
    });
    if (values.suite === undefined) throw usage('--suite is required: a suite .jsonl/.yaml file or LOADER:PATH');
    if (values.models === undefined) throw usage('--models is required: a comma-separated list of model ids from the portfolio');
    const modelIds = values.models.split(',').map((id) => id.trim()).filter(Boolean);
    if (modelIds.length === 0) throw usage('--models is empty: give model ids such as --models small,large');
    const limit = intFlag(name, 'limit', values.limit, 1);
    const concurrency = intFlag(name, 'concurrency', values.concurrency, 1, 256) ?? 1;
    const seed = intFlag(name, 'seed', values.seed, 0, 2 ** 31 - 1) ?? 0;
    const maxTokens = intFlag(name, 'max-tokens', values['max-tokens'], 1, 1_000_000);
    const threads = intFlag(name, 'threads', values.threads, 1, 1024);

    const { portfolio } = await resolvePortfolio({ configPath: values.config, env: io.env, cwd: io.cwd, stderr: io.stderr, download: false });
    const loader = /^([a-z0-9]{2,}):(.+)$/.exec(values.suite);
    const suiteSpec = loader ? `${loader[1]}:${path.resolve(io.cwd, loader[2]!)}` : path.resolve(io.cwd, values.suite);
    const suite = await openSuite(suiteSpec, values['skip-invalid'] ? { skipInvalid: true } : {});
    if (suite.skipped.length > 0) io.stderr.write(`unbundle: skipped ${suite.skipped.length} invalid item problem(s) (--skip-invalid): ${suite.skipped.slice(0, 3).map((issue) => `line ${issue.line} ${issue.field}: ${issue.message}`).join('; ')}${suite.skipped.length > 3 ? '; …' : ''}\n`);
    const outDir = path.resolve(io.cwd, values.out ?? path.join('eval-results', suite.header.name.replace(/[^A-Za-z0-9._-]+/g, '_')));

    const controller = new AbortController();
    const interrupt = () => {
      io.stderr.write('\nunbundle: interrupted — finishing the answers in flight is skipped; run the same command again to resume\n');
      controller.abort(new Error('interrupted'));
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    const bar = createProgressBar(io.stderr, suite.header.name);
    try {
      const { results, run, resultsFile, reportFile } = await evaluatePortfolio({
        portfolio,
        cwd: io.cwd,
        suite,
        modelIds,
        outDir,
        concurrency,
        seed,
        env: io.env,
        logStream: io.stderr,
        signal: controller.signal,
        onProgress: (done, total) => bar.update(done, total),
        ...(limit !== undefined ? { limit } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
        ...(values.fresh ? { fresh: true } : {}),
        ...(values.judge !== undefined ? { judge: values.judge } : {}),
        ...(threads !== undefined ? { scorerThreads: threads } : {}),
      });
      bar.finish();
      io.stdout.write(renderResultsTable(results));
      io.stderr.write(`${run.reused > 0 ? `resumed run ${run.runId}: ${run.reused} answers reused, ${run.ran} new\n` : ''}wrote ${resultsFile}\nwrote ${reportFile}\n`);
      if (run.aborted) {
        io.stderr.write(`unbundle: the run stopped with ${results.missing} answer(s) missing; run the same command again to resume\n`);
        return 1;
      }
      return 0;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  },
};

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}. Run "unbundle ${name} --help" for usage.`);
}
