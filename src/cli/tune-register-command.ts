import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { AdapterRegistry } from '../tune/registry/adapter-registry.ts';
import { parseCommandArgs, type Command } from './command.ts';

/** Reads `name=score` pairs or an `eval run` results.json (its per-model scores) for --eval. */
function evalScores(spec: string, cwd: string): Record<string, number> {
  if (/^[\w.-]+=[\d.]+(,[\w.-]+=[\d.]+)*$/.test(spec)) {
    return Object.fromEntries(spec.split(',').map((pair) => { const [k, v] = pair.split('='); return [k!, Number(v)]; }));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path.resolve(cwd, spec), 'utf8'));
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `--eval "${spec}": give metric=score pairs (e.g. accuracy=0.91) or a readable results.json (${(error as Error).message}).`);
  }
  const scores: Record<string, number> = {};
  const models = (parsed as { models?: Array<{ model?: string; score?: number; metric?: string }> }).models;
  for (const entry of Array.isArray(models) ? models : []) {
    if (typeof entry.score === 'number') scores[`${entry.metric ?? 'score'}:${entry.model ?? '?'}`] = entry.score;
  }
  if (Object.keys(scores).length === 0) throw new UnbundleError('UNBUNDLE_E_USAGE', `--eval ${spec}: no model scores found in it.`);
  return scores;
}

export const tuneRegisterCommand: Command = {
  name: 'tune register',
  summary: 'Add an adapter file to the registry as a new version',
  usage: `Usage: unbundle tune register ADAPTER.gguf --name NAME --base MODEL.gguf [options]

Copies the adapter into the registry as NAME@<next version> with its metadata (sha256 of the adapter,
the base model and the data). "tune train --register NAME" and "tune import --register NAME" do
this for you.

Options:
  --name NAME        adapter name (letters, digits, ".", "_", "-")          (required)
  --base FILE        the base model it was trained for                       (required)
  --data FILE        the training data (hashed, for provenance)
  --eval SPEC        eval scores: metric=score,... or an "eval run" results.json
  --notes TEXT       free text
  --registry DIR     default: $UNBUNDLE_DATA_DIR/adapters
  --json             print the metadata as JSON
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('tune register', argv, {
      name: { type: 'string' }, base: { type: 'string' }, data: { type: 'string' }, eval: { type: 'string' }, notes: { type: 'string' }, registry: { type: 'string' }, json: { type: 'boolean' },
    }, true);
    if (positionals.length !== 1) throw new UnbundleError('UNBUNDLE_E_USAGE', 'unbundle tune register: give exactly one adapter .gguf file. Run "unbundle tune register --help" for usage.');
    for (const required of ['name', 'base'] as const) {
      if (!values[required]) throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle tune register: --${required} is required. Run "unbundle tune register --help" for usage.`);
    }
    const registry = values.registry ? new AdapterRegistry(path.resolve(io.cwd, values.registry)) : AdapterRegistry.at(io.env, io.cwd);
    const meta = await registry.register({
      name: values.name!,
      source: 'registered',
      adapterFile: path.resolve(io.cwd, positionals[0]!),
      baseFile: path.resolve(io.cwd, values.base!),
      ...(values.data ? { dataFile: path.resolve(io.cwd, values.data) } : {}),
      ...(values.eval ? { evalScores: evalScores(values.eval, io.cwd) } : {}),
      ...(values.notes ? { notes: values.notes } : {}),
    });
    io.stdout.write(values.json ? `${JSON.stringify(meta)}\n` : `registered ${meta.name}@${meta.version}: ${meta.file}\n`);
    return 0;
  },
};
