/**
 * Text normalisation shared by the text metrics. NFKC first, so full-width digits and letters,
 * ligatures and compatibility forms compare equal to their plain forms before anything else runs.
 */

export interface NormalizeOptions {
  /** Keep letter case (default: fold to lower case). */
  caseSensitive?: boolean;
  /** Keep punctuation (default: drop Unicode punctuation, keep symbols such as $ and +; "%" is punctuation in Unicode). */
  keepPunctuation?: boolean;
  /** Drop the English articles a / an / the (SQuAD's convention; default false). */
  dropArticles?: boolean;
}

const punctuation = /\p{P}+/gu;
const whitespace = /\s+/gu;
const articles = /(?:^|\s)(?:a|an|the)(?=\s|$)/giu;

export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  let out = text.normalize('NFKC');
  if (!options.caseSensitive) out = out.toLowerCase();
  // Replaced by a space, not deleted, so "end.Next" stays two words.
  if (!options.keepPunctuation) out = out.replace(punctuation, ' ');
  if (options.dropArticles) out = out.replace(articles, ' ');
  return out.replace(whitespace, ' ').trim();
}

/**
 * Word tokens for F1 and ROUGE-L. Han, Hiragana and Katakana characters each count as one token,
 * since those scripts put no spaces between words; other scripts split on anything that is not a
 * letter, mark or digit.
 */
const tokenPattern = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{M}\p{N}]+/gu;

export function tokenize(text: string, options: NormalizeOptions = {}): string[] {
  return normalizeText(text, options).match(tokenPattern) ?? [];
}

/** Strips one surrounding Markdown code fence (```lang ... ```), which chat models add freely. */
export function stripCodeFence(text: string): string {
  const fenced = /```[\w+-]*[^\S\n]*\n([\s\S]*?)```/.exec(text);
  return fenced ? fenced[1]! : text;
}
