import { readJsonLines, validateSuite, type LoadedSuite } from '../load-suite.ts';
import { readDataFile, stringField, type LoaderOptions } from './read-data-file.ts';

/** HumanEval from `HumanEval.jsonl(.gz)`: task_id, prompt, canonical_solution, test, entry_point. */
export async function loadHumanEval(file: string, options: LoaderOptions = {}): Promise<LoadedSuite> {
  const lines = readJsonLines(await readDataFile(file, 'HumanEval')).slice(0, options.limit);
  const items = lines.map((line) => {
    if (line.error !== undefined) return line;
    const prompt = stringField(line.value, 'prompt');
    return {
      line: line.line,
      value: {
        id: stringField(line.value, 'task_id'),
        input: prompt,
        reference: stringField(line.value, 'canonical_solution'),
        domain: 'code',
        tests: { language: 'python', prefix: prompt, code: stringField(line.value, 'test'), entryPoint: stringField(line.value, 'entry_point') },
      },
    };
  });
  const header = {
    name: 'humaneval',
    description: 'HumanEval Python function completion with unit tests (Chen et al. 2021)',
    metrics: ['code-tests'],
    system: 'Complete the Python function. Reply with the code only.',
    source: 'openai/human-eval',
    license: 'MIT',
  };
  return validateSuite(header, items, file, options);
}
