import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { fractionFlag } from '../router/classifier/route-flags.ts';
import { readOutcomesCsv } from '../router/threshold/model-outcomes.ts';
import { saveThresholdRouter } from '../router/threshold/threshold-router-file.ts';
import { trainThresholdRouter } from '../router/threshold/train-threshold-router.ts';
import { intFlag, parseCommandArgs, type Command } from './command.ts';

const name = 'route train-threshold';

export const routeTrainThresholdCommand: Command = {
  name,
  summary: 'Train a strong/weak threshold router on graded outcomes of two models',
  usage: `Usage: unbundle route train-threshold --outcomes FILE --strong-share P --out threshold.json [options]

Learns, from per-prompt outcomes of a weak and a strong model, which prompts the weak model
handles as well, and places the threshold so that a share P of prompts goes to the strong model.
Use the file in a virtual model: { strategy: threshold, weak: ID, strong: ID, file: threshold.json }.

Outcomes: CSV in RouteLLM's layout, a header "prompt,<weak model>,<strong model>" and True/False
in the two model columns (further columns ignored).

Options:
  --outcomes FILE       the graded outcomes
  --strong-share P      share of prompts to send to the strong model, 0..1 (e.g. 0.3)
  --out FILE            where to write the threshold-router file
  --seed N              random seed (default 1)
  --bits N              log2 of the hashed feature buckets, 8..24 (default 18)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      outcomes: { type: 'string' },
      'strong-share': { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      bits: { type: 'string' },
    });
    if (!values.outcomes) throw usage('--outcomes FILE is required (CSV: prompt,<weak model>,<strong model>)');
    if (!values.out) throw usage('--out FILE is required (where to write the threshold router)');
    const strongShare = fractionFlag(name, 'strong-share', values['strong-share']);
    if (strongShare === undefined) throw usage('--strong-share P is required (the share of prompts for the strong model, e.g. 0.3)');
    const seed = intFlag(name, 'seed', values.seed, 0, 2 ** 31 - 1);
    const bits = intFlag(name, 'bits', values.bits, 8, 24);
    const { weakModel, strongModel, outcomes } = readOutcomesCsv(path.resolve(io.cwd, values.outcomes));
    const started = performance.now();
    const router = trainThresholdRouter(outcomes, {
      strongShare,
      weakModel,
      strongModel,
      ...(bits === undefined ? {} : { features: { bits } }),
      ...(seed === undefined ? {} : { linear: { seed } }),
    });
    const out = path.resolve(io.cwd, values.out);
    saveThresholdRouter(router, out);
    const weakRight = outcomes.filter((o) => o.weakCorrect).length / outcomes.length;
    const strongRight = outcomes.filter((o) => o.strongCorrect).length / outcomes.length;
    io.stdout.write(
      `trained a threshold router on ${outcomes.length} graded prompts in ${((performance.now() - started) / 1000).toFixed(1)} s\n` +
        `  weak ${weakModel}: ${(weakRight * 100).toFixed(1)}% right, strong ${strongModel}: ${(strongRight * 100).toFixed(1)}% right\n` +
        `wrote ${out}: threshold ${router.threshold.toFixed(4)} on the weak model's expected advantage sends ${(strongShare * 100).toFixed(0)}% of held-out prompts to the strong model\n`,
    );
    return 0;
  },
};

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}. Run "unbundle ${name} --help" for usage.`);
}
