import { z } from 'zod';
import { UnbundleError } from '../../errors.ts';
import { defineMetric, type JudgeModel, type MetricContext } from '../metric.ts';
import { inputText, referencesOf, type SuiteItem, type SuiteMessage } from '../suite-schema.ts';

export const defaultRubric = [
  'Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question below.',
  'Consider helpfulness, relevance, accuracy, depth and level of detail. {{reference_note}}',
  'Begin with a short explanation, then rate the response on a scale of {{min}} to {{max}} in exactly this format: "Rating: [[5]]".',
  '',
  '[Question]',
  '{{input}}',
  '{{reference_block}}',
  '[The Start of Assistant\'s Answer]',
  '{{prediction}}',
  '[The End of Assistant\'s Answer]',
].join('\n');

/** Fills a rubric template; unknown placeholders are left as written so a typo shows in the prompt. */
export function renderRubric(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/**
 * The rating in a judge's reply: "[[7]]" first (MT-Bench's format), then "Rating: 7", "Score: 7/10",
 * "7/10", then a reply that is only a number. Values outside [min, max] are not ratings.
 */
export function parseRating(reply: string, min: number, max: number): number | undefined {
  const patterns = [/\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]/g, /\b(?:rating|score)\s*[:=]?\s*\**\s*(-?\d+(?:\.\d+)?)/gi, /(-?\d+(?:\.\d+)?)\s*\/\s*\d+/g, /^\s*(-?\d+(?:\.\d+)?)\s*\.?\s*$/g];
  for (const pattern of patterns) {
    const values = [...reply.matchAll(pattern)].map((match) => Number(match[1])).filter((value) => value >= min && value <= max);
    if (values.length > 0) return values.at(-1);
  }
  return undefined;
}

function pickJudge(context: MetricContext, wanted: string | undefined): JudgeModel {
  const judges = context.judges ?? new Map<string, JudgeModel>();
  if (wanted !== undefined) {
    const judge = judges.get(wanted);
    if (!judge) throw new UnbundleError('UNBUNDLE_E_MODEL_NOT_FOUND', `llm-judge: the judge model "${wanted}" was not given to the metric; known: ${[...judges.keys()].join(', ') || 'none'}`);
    return judge;
  }
  if (judges.size !== 1) {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `llm-judge: name the judge with the metric's "judge" option (${judges.size} judge models were given)`);
  }
  return [...judges.values()][0]!;
}

export function judgeMessages(template: string, item: SuiteItem, prediction: string, scale: { min: number; max: number }): SuiteMessage[] {
  const reference = referencesOf(item)[0];
  const prompt = renderRubric(template, {
    input: inputText(item),
    prediction,
    reference: reference ?? '',
    reference_note: reference === undefined ? '' : 'Compare the response with the reference answer; identify and correct any mistakes.',
    reference_block: reference === undefined ? '' : `[The Start of Reference Answer]\n${reference}\n[The End of Reference Answer]\n`,
    min: String(scale.min),
    max: String(scale.max),
  });
  return [{ role: 'user', content: prompt }];
}

export const llmJudgeMetric = defineMetric({
  summary: 'a portfolio model grades the answer with a rubric; the rating is scaled to 0..1 and the judge recorded',
  higherIsBetter: true,
  needs: 'judge',
  options: z
    .strictObject({
      /** Portfolio model id of the judge. */
      judge: z.string().min(1).optional(),
      /** Template with {{input}}, {{prediction}}, {{reference}}, {{min}}, {{max}}. */
      rubric: z.string().min(1).default(defaultRubric),
      min: z.number().default(1),
      max: z.number().default(10),
    })
    .refine((options) => options.max > options.min, { message: 'max must be greater than min', path: ['max'] }),
  bind: (options) => async (prediction, item, context) => {
    const judge = pickJudge(context, options.judge);
    const reply = await judge.generate(judgeMessages(options.rubric, item, prediction, options), context.signal);
    const rating = parseRating(reply, options.min, options.max);
    const detail = { judge: judge.id, rating: rating ?? null, reply };
    // An unreadable verdict scores 0 and says so, rather than silently vanishing from the mean.
    if (rating === undefined) return { score: 0, detail: { ...detail, parsed: false } };
    return { score: (rating - options.min) / (options.max - options.min), detail: { ...detail, parsed: true } };
  },
});
