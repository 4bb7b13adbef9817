import { statSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { trainEmbeddingClassifier } from '../router/classifier/embedding-classifier.ts';
import { readLabelledExamples, type DataFormat, type LabelledExample } from '../router/classifier/labelled-data.ts';
import { openPortfolioEmbedder } from '../router/classifier/portfolio-embedder.ts';
import { formatFlag, fractionFlag } from '../router/classifier/route-flags.ts';
import { saveRouter, type RouterClassifier } from '../router/classifier/router-file.ts';
import { trainDomainClassifier } from '../router/classifier/train-domain-classifier.ts';
import { intFlag, parseCommandArgs, type Command, type CommandIO } from './command.ts';

const name = 'route train';

export const routeTrainCommand: Command = {
  name,
  summary: 'Train the domain classifier on labelled examples (JSONL or CSV)',
  usage: `Usage: unbundle route train --data FILE [--data FILE ...] --out router.json [options]

Trains the router's domain classifier (hashed word and character n-grams, logistic regression,
temperature-calibrated) in-process and writes it as one small JSON file.

Data: JSONL with one {"text": "...", "domain": "..."} object per line, or CSV with a header
naming "text" and "domain" columns. The format follows the extension (.jsonl/.json/.csv).

Options:
  --data FILE               labelled examples; repeat to train on several files
  --out FILE                where to write the router file (e.g. router.json)
  --format jsonl|csv        force the data format instead of guessing from the extension
  --threshold P             below this calibrated confidence the answer is "unsure" (default 0.5)
  --seed N                  random seed; the same data and seed give the same file (default 1)
  --epochs N                passes over the data (default 6)
  --bits N                  log2 of the hashed feature buckets, 8..24 (default 18)
  --calibration-share P     share held out to fit the temperature (default 0.1; 0 skips it)

Embedding variant (instead of n-grams, a classifier over a portfolio model's embeddings):
  --embed-model ID          model of the portfolio that embeds the examples (and, later, prompts)
  --config FILE             portfolio.yaml that has that model (env: UNBUNDLE_CONFIG)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      data: { type: 'string', multiple: true },
      out: { type: 'string' },
      format: { type: 'string' },
      threshold: { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      bits: { type: 'string' },
      'calibration-share': { type: 'string' },
      'embed-model': { type: 'string' },
      config: { type: 'string' },
    });
    if (!values.data || values.data.length === 0) throw usage('--data FILE is required (JSONL or CSV with text and domain)');
    if (!values.out) throw usage('--out FILE is required (where to write the router, e.g. router.json)');
    const format: DataFormat | undefined = formatFlag(name, values.format);
    const threshold = fractionFlag(name, 'threshold', values.threshold);
    const calibrationShare = fractionFlag(name, 'calibration-share', values['calibration-share']);
    if (calibrationShare === 1) throw usage('--calibration-share must be below 1 (something has to be left to train on)');
    const seed = intFlag(name, 'seed', values.seed, 0, 2 ** 31 - 1);
    const epochs = intFlag(name, 'epochs', values.epochs, 1, 100);
    const bits = intFlag(name, 'bits', values.bits, 8, 24);
    const embedModel = values['embed-model'];
    if (embedModel !== undefined && bits !== undefined) throw usage('--bits sets the hashed n-gram classifier; it has no meaning with --embed-model');

    const examples = values.data.flatMap((file) => readLabelledExamples(path.resolve(io.cwd, file), format));
    const started = performance.now();
    let classifier: RouterClassifier;
    if (embedModel === undefined) {
      classifier = trainDomainClassifier(examples, {
        ...(bits === undefined ? {} : { features: { bits } }),
        linear: { ...(seed === undefined ? {} : { seed }), ...(epochs === undefined ? {} : { epochs }) },
        ...(threshold === undefined ? {} : { threshold }),
        ...(calibrationShare === undefined ? {} : { calibrationShare }),
      });
    } else {
      const vectors = await embedAll(embedModel, examples, values.config, io);
      classifier = trainEmbeddingClassifier(examples, vectors, {
        embedModel,
        ...(seed === undefined ? {} : { seed }),
        ...(epochs === undefined ? {} : { epochs }),
        ...(threshold === undefined ? {} : { threshold }),
        ...(calibrationShare === undefined ? {} : { calibrationShare }),
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const out = path.resolve(io.cwd, values.out);
    saveRouter(classifier, out);

    const training = classifier.training!;
    const kind = classifier.kind === 'embedding' ? `an embedding classifier over "${classifier.embedModel}" (${classifier.dimensions} dimensions)` : 'a hashed n-gram classifier';
    const lines = [`trained ${kind} on ${training.examples} examples in ${classifier.domains.length} domains (${seconds.toFixed(1)} s)`];
    const width = Math.max(...classifier.domains.map((d) => d.length));
    for (const domain of classifier.domains) lines.push(`  ${domain.padEnd(width)}  ${training.perDomain[domain]}`);
    const { calibration } = training;
    lines.push(
      calibration.accuracy === null
        ? 'calibration: skipped (calibration share 0, or fewer than 20 held-out examples); temperature 1'
        : `calibration: temperature ${classifier.temperature.toFixed(3)} fitted on ${calibration.examples} held-out examples (accuracy there ${(calibration.accuracy * 100).toFixed(1)}%)`,
    );
    lines.push(`wrote ${out} (${Math.round(statSync(out).size / 1024)} KB), unsure below ${classifier.threshold}`);
    const rare = classifier.domains.filter((d) => training.perDomain[d]! < 10);
    if (rare.length > 0) lines.push(`warning: few examples for ${rare.join(', ')}; add more for reliable routing`);
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

async function embedAll(modelId: string, examples: LabelledExample[], configPath: string | undefined, io: CommandIO): Promise<Float32Array[]> {
  const embedder = await openPortfolioEmbedder(modelId, { configPath, env: io.env, cwd: io.cwd, stderr: io.stderr });
  try {
    return await embedder.embed(examples.map((e) => e.text));
  } finally {
    await embedder.close();
  }
}

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}. Run "unbundle ${name} --help" for usage.`);
}
