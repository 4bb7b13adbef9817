import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { formatExplanation } from '../router/classifier/format-report.ts';
import { fractionFlag } from '../router/classifier/route-flags.ts';
import { openPortfolioEmbedder } from '../router/classifier/portfolio-embedder.ts';
import { loadRouter } from '../router/classifier/router-file.ts';
import { predictorFor } from '../router/classifier/predictor-for.ts';
import { intFlag, parseCommandArgs, type Command } from './command.ts';

const name = 'route explain';

export const routeExplainCommand: Command = {
  name,
  summary: 'Show which domain a prompt goes to, how sure the router is, and why',
  usage: `Usage: unbundle route explain --router router.json [--top N] [--json] "prompt text"

Prints the predicted domain (or "unsure"), the calibrated probability of every domain, and the
words and character n-grams that pushed the decision most for and against it. An embedding
router embeds the prompt with its model of the portfolio and has no per-feature explanation.

Options:
  --router FILE     the router file written by "unbundle route train"
  --top N           how many features to list each way (default 8)
  --threshold P     explain with another unsure threshold than the file's
  --json            print one JSON object (prediction, for, against)
  --config FILE     portfolio.yaml with the embedding model (embedding routers only)
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      name,
      argv,
      { router: { type: 'string' }, top: { type: 'string' }, threshold: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } },
      true,
    );
    if (!values.router) throw usage('--router FILE is required (a file written by "unbundle route train")');
    const text = positionals.join(' ');
    if (text.trim() === '') throw usage('give the prompt to explain as an argument, in quotes');
    const top = intFlag(name, 'top', values.top, 1, 100) ?? 8;
    const threshold = fractionFlag(name, 'threshold', values.threshold);

    let router = loadRouter(path.resolve(io.cwd, values.router));
    if (threshold !== undefined) router = router.withThreshold(threshold);
    const explanation =
      router.kind === 'hashed-ngram'
        ? router.explain(text, top)
        : { prediction: (await predictorFor(router, [text], (id) => openPortfolioEmbedder(id, { configPath: values.config, env: io.env, cwd: io.cwd, stderr: io.stderr }))).predict(text), for: [], against: [] };
    io.stdout.write(values.json ? JSON.stringify(explanation) + '\n' : formatExplanation(explanation, router.threshold));
    return 0;
  },
};

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}. Run "unbundle ${name} --help" for usage.`);
}
