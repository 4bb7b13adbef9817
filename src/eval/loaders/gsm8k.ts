import { readJsonLines, validateSuite, type LoadedSuite } from '../load-suite.ts';
import { readDataFile, stringField, type LoaderOptions } from './read-data-file.ts';

/** GSM8K's final answer: the text after "####", thousands separators removed. */
export function gsm8kFinalAnswer(solution: string): string | undefined {
  const marker = solution.lastIndexOf('####');
  if (marker < 0) return undefined;
  const answer = solution.slice(marker + 4).trim().replace(/,/g, '');
  return answer === '' ? undefined : answer;
}

/** GSM8K from its JSONL (`question`, `answer` = worked solution ending in "#### <number>"). */
export async function loadGsm8k(file: string, options: LoaderOptions = {}): Promise<LoadedSuite> {
  const lines = readJsonLines(await readDataFile(file, 'GSM8K')).slice(0, options.limit);
  const items = lines.map((line) => {
    if (line.error !== undefined) return line;
    const solution = stringField(line.value, 'answer');
    const reference = solution === undefined ? undefined : gsm8kFinalAnswer(solution);
    if (solution !== undefined && reference === undefined) return { ...line, error: 'answer: no final answer after "####"' };
    return {
      line: line.line,
      value: { id: `gsm8k/${line.line}`, input: stringField(line.value, 'question'), reference, domain: 'math', metadata: { solution } },
    };
  });
  const header = {
    name: 'gsm8k',
    description: 'GSM8K grade-school math word problems (Cobbe et al. 2021)',
    metrics: ['numeric'],
    system: 'Solve the problem step by step. End your reply with a last line of the form "#### <number>".',
    source: 'openai/grade-school-math test split',
    license: 'MIT',
  };
  return validateSuite(header, items, file, options);
}
