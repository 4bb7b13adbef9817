import type { LabelledExample } from '../../src/router/classifier/labelled-data.ts';
import { seededRandom } from '../../src/util/seeded-random.ts';

/**
 * A small, clearly separable three-domain set built from templates: fast to train on, and any
 * working classifier gets it (nearly) all right.
 */
const vocab: Record<string, { subjects: string[]; verbs: string[]; objects: string[] }> = {
  billing: {
    subjects: ['my invoice', 'the refund', 'my card payment', 'the monthly charge', 'my bank transfer'],
    verbs: ['was declined', 'is missing', 'was charged twice', 'has not arrived', 'looks wrong'],
    objects: ['on my account', 'this month', 'after the upgrade', 'since Monday', 'for my subscription'],
  },
  code: {
    subjects: ['a python function', 'this javascript loop', 'the sql query', 'a rust struct', 'my unit test'],
    verbs: ['throws an exception', 'needs refactoring', 'returns null', 'fails to compile', 'leaks memory'],
    objects: ['in the parser', 'when the list is empty', 'with async await', 'in the api handler', 'after the merge'],
  },
  cooking: {
    subjects: ['the sourdough bread', 'a tomato sauce', 'the roast chicken', 'my chocolate cake', 'a vegetable soup'],
    verbs: ['tastes bland', 'burns at the bottom', 'comes out dry', 'needs more salt', 'will not rise'],
    objects: ['in the oven', 'with fresh basil', 'after simmering', 'with butter and garlic', 'on low heat'],
  },
};

export const toyDomains = Object.keys(vocab).sort();

export function toyExamples(perDomain: number, seed = 7): LabelledExample[] {
  const random = seededRandom(seed);
  const pick = (list: string[]): string => list[Math.floor(random() * list.length)]!;
  const examples: LabelledExample[] = [];
  for (let i = 0; i < perDomain; i++) {
    for (const [domain, words] of Object.entries(vocab)) {
      examples.push({ domain, text: `Why ${pick(words.subjects)} ${pick(words.verbs)} ${pick(words.objects)}?` });
    }
  }
  return examples;
}
