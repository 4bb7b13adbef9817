import { readFileSync } from 'node:fs';
import { UnbundleError } from '../../errors.ts';
import { CsvSyntaxError, parseCsv } from '../classifier/parse-csv.ts';

/** How a weak and a strong model did on one prompt (graded right or wrong). */
export interface ModelOutcome {
  text: string;
  weakCorrect: boolean;
  strongCorrect: boolean;
}

/** The four joint outcomes, in the class order the threshold router's model uses. */
export const outcomeClasses = ['both-wrong', 'only-weak', 'only-strong', 'both-right'] as const;

export function outcomeClass(outcome: ModelOutcome): number {
  return (outcome.weakCorrect ? 1 : 0) + (outcome.strongCorrect ? 2 : 0);
}

/**
 * Outcome data in RouteLLM's CSV layout: a header `prompt,<weak model>,<strong model>` (further
 * columns ignored) and True/False in the two model columns. Bad rows are reported by line.
 */
export function parseOutcomesCsv(content: string, source: string): { weakModel: string; strongModel: string; outcomes: ModelOutcome[] } {
  let records;
  try {
    records = parseCsv(content);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: CSV syntax error at line ${error.line}: ${error.reason}.`, { cause: error });
    throw error;
  }
  const [header, ...rows] = records;
  if (!header || header.fields.length < 3 || header.fields[0]!.trim().toLowerCase() !== 'prompt') {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: the first line must be a header "prompt,<weak model>,<strong model>".`);
  }
  const problems: string[] = [];
  const outcomes: ModelOutcome[] = [];
  const flag = (value: string | undefined): boolean | undefined => (value === 'True' || value === 'true' ? true : value === 'False' || value === 'false' ? false : undefined);
  for (const row of rows) {
    const [text, weak, strong] = row.fields;
    const weakCorrect = flag(weak?.trim());
    const strongCorrect = flag(strong?.trim());
    if (!text || text.trim() === '') problems.push(`line ${row.line}: the prompt is empty`);
    else if (weakCorrect === undefined || strongCorrect === undefined) problems.push(`line ${row.line}: the model columns must be True or False`);
    else outcomes.push({ text, weakCorrect, strongCorrect });
  }
  if (problems.length > 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: ${problems.length} bad rows:\n  ${problems.slice(0, 10).join('\n  ')}`);
  return { weakModel: header.fields[1]!.trim(), strongModel: header.fields[2]!.trim(), outcomes };
}

export function readOutcomesCsv(file: string): ReturnType<typeof parseOutcomesCsv> {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `Cannot read the outcome file ${file}: ${(error as Error).message}.`, { cause: error });
  }
  return parseOutcomesCsv(content, file);
}
