import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import type { EvalResults } from '../eval/eval-results.ts';
import { lineDiff } from '../eval/line-diff.ts';
import { publishQuality } from '../eval/publish-quality.ts';
import { parseCommandArgs, type Command } from './command.ts';

const name = 'eval publish';

export const evalPublishCommand: Command = {
  name,
  summary: 'Write measured per-domain quality from results.json into the portfolio config',
  usage: `Usage: unbundle eval publish --results DIR/results.json --config portfolio.yaml
                            [--domain D] [--models a,b] [--dry-run]

Sets "quality: {domain: score}" on each evaluated model's entry in the config — the table the
router's cost/quality selection reads. Other domains already there are kept; comments and
formatting are preserved. Publishing the same results twice changes nothing.

Options:
  --results FILE   the results.json written by "unbundle eval run"
  --config FILE    the portfolio config to update (env: UNBUNDLE_CONFIG)
  --domain D       the domain for a suite whose items have none (default: the suite's name)
  --models a,b     publish only these models (default: every model in the results)
  --dry-run        print the change as a diff and write nothing
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      results: { type: 'string' },
      config: { type: 'string' },
      domain: { type: 'string' },
      models: { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    if (values.results === undefined) throw usage('--results is required: the results.json of an eval run');
    const configArg = values.config ?? io.env.UNBUNDLE_CONFIG;
    if (configArg === undefined || configArg === '') throw usage('--config is required: the portfolio.yaml to write quality into');
    const resultsFile = path.resolve(io.cwd, values.results);
    const configFile = path.resolve(io.cwd, configArg);
    const results = readResults(resultsFile);
    let configText: string;
    try {
      configText = readFileSync(configFile, 'utf8');
    } catch (error) {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `cannot read the config file ${configFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message} — pass an existing file with --config`, { cause: error });
    }
    const plan = publishQuality(configText, configFile, results, {
      ...(values.domain !== undefined ? { domain: values.domain } : {}),
      ...(values.models !== undefined ? { models: values.models.split(',').map((id) => id.trim()).filter(Boolean) } : {}),
    });
    for (const id of plan.notInConfig) io.stderr.write(`unbundle: ${id} has no entry in ${configFile}; skipped\n`);
    if (plan.changes.length === 0) {
      io.stdout.write(`${configFile}: quality already up to date (${results.models.length - plan.notInConfig.length} model(s))\n`);
      return plan.notInConfig.length === results.models.length ? 1 : 0;
    }
    for (const change of plan.changes) {
      io.stdout.write(`${change.model}.quality.${change.domain}: ${change.before ?? '(none)'} → ${change.after}\n`);
    }
    if (values['dry-run']) {
      io.stdout.write(lineDiff(configText, plan.text, { from: configFile, to: `${configFile} (published)` }));
      io.stdout.write('dry run: nothing written\n');
      return 0;
    }
    const temporary = `${configFile}.${process.pid}.tmp`;
    writeFileSync(temporary, plan.text);
    renameSync(temporary, configFile);
    io.stdout.write(`wrote ${configFile}\n`);
    return 0;
  },
};

function readResults(file: string): EvalResults {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `cannot read the results file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message} — pass the results.json of "unbundle eval run"`, { cause: error });
  }
  try {
    return JSON.parse(text) as EvalResults;
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}. Run "unbundle ${name} --help" for usage.`);
}
