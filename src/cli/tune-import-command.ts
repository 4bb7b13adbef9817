import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { writeGgufAdapter } from '../tune/adapter/gguf-adapter.ts';
import { importPeftAdapter } from '../tune/adapter/peft-import.ts';
import { loraFactors } from '../tune/model/lora.ts';
import { AdapterRegistry } from '../tune/registry/adapter-registry.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const tuneImportCommand: Command = {
  name: 'tune import',
  summary: 'Convert a Hugging Face PEFT LoRA into a GGUF adapter',
  usage: `Usage: unbundle tune import ADAPTER.safetensors --base MODEL.gguf --out ADAPTER.gguf [--config adapter_config.json]

Converts a LoRA trained with Hugging Face PEFT (on a GPU, for the same llama model) into a GGUF
LoRA adapter that llama.cpp / node-llama-cpp load on top of MODEL.gguf. The base model is read
for its shapes and head layout (q/k rows are reordered for llama.cpp's rotary embedding).

Options:
  --base FILE     the GGUF base model the adapter was trained for       (required)
  --out FILE      the GGUF adapter to write                              (required)
  --config FILE   adapter_config.json (default: next to the safetensors file)
  --register NAME add the converted adapter to the registry as NAME@<next version>
  --registry DIR  the registry folder (default $UNBUNDLE_DATA_DIR/adapters)
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('tune import', argv, { base: { type: 'string' }, out: { type: 'string' }, config: { type: 'string' }, register: { type: 'string' }, registry: { type: 'string' } }, true);
    const source = positionals[0];
    if (!source || positionals.length > 1) throw new UnbundleError('UNBUNDLE_E_USAGE', 'unbundle tune import: give exactly one adapter_model.safetensors file. Run "unbundle tune import --help" for usage.');
    for (const required of ['base', 'out'] as const) {
      if (!values[required]) throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle tune import: --${required} is required. Run "unbundle tune import --help" for usage.`);
    }
    const file = (p: string): string => path.resolve(io.cwd, p);
    const { adapter, baseModelName } = importPeftAdapter(file(source), file(values.base!), values.config ? file(values.config) : undefined);
    const factors = [...loraFactors(adapter)];
    const bytes = writeGgufAdapter(file(values.out!), adapter, { name: `LoRA imported from ${path.basename(source)}`, ...(baseModelName ? { baseModelName } : {}) });
    const ranks = [...new Set(factors.map((f) => f.factor.rank))].join(', ');
    io.stdout.write(`adapter: ${file(values.out!)} (${bytes} bytes)\n${factors.length} LoRA pairs over ${new Set(factors.map((f) => f.projection)).size} projection kinds; rank ${ranks}; alpha ${adapter.alpha}\n`);
    if (values.register) {
      const registry = values.registry ? new AdapterRegistry(file(values.registry)) : AdapterRegistry.at(io.env, io.cwd);
      const meta = await registry.register({ name: values.register, source: 'imported', adapterFile: file(values.out!), baseFile: file(values.base!), hyperparameters: { alpha: adapter.alpha, ranks } });
      io.stdout.write(`registered: ${meta.name}@${meta.version} (${meta.file})\n`);
    }
    return 0;
  },
};
