import { readJsonLines, validateSuite, type LoadedSuite } from '../load-suite.ts';
import { readDataFile, stringField, type LoaderOptions } from './read-data-file.ts';

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? (value as string[]) : undefined;

/** MBPP from its JSONL (text, code, task_id, test_setup_code, test_list); the prompt shows the tests. */
export async function loadMbpp(file: string, options: LoaderOptions = {}): Promise<LoadedSuite> {
  const lines = readJsonLines(await readDataFile(file, 'MBPP')).slice(0, options.limit);
  const items = lines.map((line) => {
    if (line.error !== undefined) return line;
    const row = line.value as Record<string, unknown>;
    const tests = stringList(row.test_list);
    if (!tests || tests.length === 0) return { ...line, error: 'test_list: expected a list of assert strings' };
    const text = stringField(row, 'text');
    const setup = stringField(row, 'test_setup_code');
    return {
      line: line.line,
      value: {
        id: `mbpp/${String(row.task_id ?? line.line)}`,
        input: text === undefined ? undefined : `${text}\nYour code should pass these tests:\n\n${tests.join('\n')}`,
        reference: stringField(row, 'code'),
        domain: 'code',
        tests: { language: 'python', ...(setup ? { setup } : {}), code: tests.join('\n') },
      },
    };
  });
  const header = {
    name: 'mbpp',
    description: 'MBPP: Mostly Basic Python Problems (Austin et al. 2021)',
    metrics: ['code-tests'],
    system: 'Write the Python function the task asks for. Reply with the code only.',
    source: 'google-research/mbpp',
    license: 'CC-BY-4.0',
  };
  return validateSuite(header, items, file, options);
}
