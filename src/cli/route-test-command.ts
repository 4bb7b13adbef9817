import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { evaluateClassifier, type DomainPredictor } from '../router/classifier/evaluate-classifier.ts';
import { formatEvaluation } from '../router/classifier/format-report.ts';
import { readLabelledExamples, type LabelledExample } from '../router/classifier/labelled-data.ts';
import { formatFlag, fractionFlag } from '../router/classifier/route-flags.ts';
import { openPortfolioEmbedder } from '../router/classifier/portfolio-embedder.ts';
import { loadRouter } from '../router/classifier/router-file.ts';
import { predictorFor } from '../router/classifier/predictor-for.ts';
import { parseCommandArgs, type Command } from './command.ts';

const name = 'route test';

export const routeTestCommand: Command = {
  name,
  summary: 'Score a trained router on labelled examples: accuracy, macro-F1, confusion matrix',
  usage: `Usage: unbundle route test --router router.json --data FILE [--json] [options]

Runs every example through the classifier and reports accuracy, macro-F1, per-domain precision,
recall and F1, a confusion matrix, the calibration error, what the unsure threshold does, and the
decision latency measured in-process. An embedding router (trained with --embed-model) embeds
the examples with that model of the portfolio first; its latency excludes the embedding call.

Options:
  --router FILE         the router file written by "unbundle route train"
  --data FILE           labelled examples (JSONL or CSV with text and domain); repeatable
  --format jsonl|csv    force the data format instead of guessing from the extension
  --threshold P         evaluate with another unsure threshold than the file's
  --min-accuracy P      exit with code 1 when accuracy is below P (for CI)
  --config FILE         portfolio.yaml with the embedding model (embedding routers only)
  --json                print one JSON object (accuracy, macroF1, perDomain, confusion, ...)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      router: { type: 'string' },
      data: { type: 'string', multiple: true },
      format: { type: 'string' },
      threshold: { type: 'string' },
      'min-accuracy': { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
    });
    if (!values.router) throw usage('--router FILE is required (a file written by "unbundle route train")');
    if (!values.data || values.data.length === 0) throw usage('--data FILE is required (JSONL or CSV with text and domain)');
    const format = formatFlag(name, values.format);
    const threshold = fractionFlag(name, 'threshold', values.threshold);
    const minAccuracy = fractionFlag(name, 'min-accuracy', values['min-accuracy']);

    let router = loadRouter(path.resolve(io.cwd, values.router));
    if (threshold !== undefined) router = router.withThreshold(threshold);
    const examples = values.data.flatMap((file) => readLabelledExamples(path.resolve(io.cwd, file), format));
    const predictor = await predictorFor(router, examples.map((e) => e.text), (id) => openPortfolioEmbedder(id, { configPath: values.config, env: io.env, cwd: io.cwd, stderr: io.stderr }));
    const report = evaluateClassifier(predictor, examples);
    const latencyMicros = measureLatency(predictor, examples);
    if (values.json) io.stdout.write(JSON.stringify({ ...report, latencyMicros }) + '\n');
    else io.stdout.write(formatEvaluation(report, latencyMicros));
    if (minAccuracy !== undefined && report.accuracy < minAccuracy) {
      io.stderr.write(`unbundle ${name}: accuracy ${(report.accuracy * 100).toFixed(2)}% is below --min-accuracy ${(minAccuracy * 100).toFixed(2)}%\n`);
      return 1;
    }
    return 0;
  },
};

/** Times each decision once more, after the evaluation pass has warmed the code up. */
function measureLatency(classifier: DomainPredictor, examples: readonly LabelledExample[]): { p50: number; p99: number } {
  const times = new Float64Array(examples.length);
  examples.forEach((example, i) => {
    const started = process.hrtime.bigint();
    classifier.predict(example.text);
    times[i] = Number(process.hrtime.bigint() - started) / 1000;
  });
  times.sort();
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}. Run "unbundle ${name} --help" for usage.`);
}
