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
       unbundle route explain --config portfolio.yaml [--model auto] [--tenant T] [--user U]
                              [--header x-unbundle-K=V] [--metadata K=V] [--json] "prompt text"

With --router: the predicted domain (or "unsure"), the calibrated probability of every domain,
and the words and character n-grams that pushed the decision most for and against it. An
embedding router embeds the prompt with its model of the portfolio and has no per-feature
explanation.

With --config and no --router: the whole routing decision the gateway would make for the prompt
as the last user message (rule, domain, scored candidates, chosen model, fallbacks, reason),
without calling a model.

Options:
  --router FILE     the router file written by "unbundle route train"
  --top N           how many features to list each way (default 8)
  --threshold P     explain with another unsure threshold than the file's
  --json            print one JSON object
  --config FILE     portfolio.yaml (the routing config; or the embedding model for --router)
  --model NAME      the virtual model to route for (default auto)
  --tenant T        the tenant rules see
  --user U          the request's user field
  --header K=V      an x-unbundle-* header (repeatable)
  --metadata K=V    a metadata entry (repeatable)
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      name,
      argv,
      {
        router: { type: 'string' }, top: { type: 'string' }, threshold: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' },
        model: { type: 'string' }, tenant: { type: 'string' }, user: { type: 'string' }, header: { type: 'string', multiple: true }, metadata: { type: 'string', multiple: true },
      },
      true,
    );
    const text = positionals.join(' ');
    if (!values.router && values.config) {
      if (text.trim() === '') throw usage('give the prompt to explain as an argument, in quotes');
      const { explainPortfolioRoute } = await import('../router/explain-portfolio-route.ts');
      const pairs = (flag: string, list: string[] | undefined) => Object.fromEntries((list ?? []).map((item) => {
        const at = item.indexOf('=');
        if (at <= 0) throw usage(`--${flag} must look like key=value, got "${item}"`);
        // Header names are case-insensitive (node lower-cases them); metadata keys are not.
        const key = item.slice(0, at);
        return [flag === 'header' ? key.toLowerCase() : key, item.slice(at + 1)];
      }));
      const output = await explainPortfolioRoute({
        configPath: path.resolve(io.cwd, values.config), text, model: values.model ?? 'auto', tenant: values.tenant, user: values.user,
        headers: pairs('header', values.header), metadata: pairs('metadata', values.metadata), json: values.json === true, env: io.env, cwd: io.cwd, stderr: io.stderr,
      });
      io.stdout.write(output);
      return 0;
    }
    if (!values.router) throw usage('--router FILE is required (a file written by "unbundle route train"), or --config portfolio.yaml to explain the whole routing decision');
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
