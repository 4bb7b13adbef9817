import { detectorPriority, type Candidate, type Detector } from '../detection.ts';

/**
 * Person names from a configured list (first names, surnames, or full names, which are split into
 * their words). A capitalised word on the list starts a name; neighbouring listed words, middle
 * initials ("Janka M. Szász") and one following capitalised word (the surname of a listed first
 * name) join it. Without a list nothing is reported: a name is not recognisable by its shape.
 * A local NER model plugs in through `EntityRecognizer` instead.
 */

const capitalised = /\p{Lu}[\p{L}\p{M}'’-]*/gu;
const initial = /^ \p{Lu}\.(?= )/u;
const nextCapitalised = /^ (\p{Lu}[\p{L}\p{M}'’-]+)/u;

export function personDetector(names: Iterable<string>): Detector {
  const known = new Set<string>();
  for (const name of names) {
    for (const part of name.split(/\s+/)) {
      const cleaned = part.replace(/[.,]+$/, '').toLowerCase();
      if (cleaned.length >= 2) known.add(cleaned);
    }
  }
  return {
    name: 'person',
    scan(text, found: Candidate[]) {
      if (known.size === 0) return;
      capitalised.lastIndex = 0;
      let match: RegExpExecArray | null;
      let coveredUntil = 0;
      while ((match = capitalised.exec(text)) !== null) {
        const start = match.index;
        if (start < coveredUntil || !known.has(match[0].toLowerCase().replace(/['’]s$/, ''))) continue;
        let end = start + match[0].length;
        let extendedByUnlisted = false;
        for (;;) {
          const rest = text.slice(end, end + 48);
          const dot = initial.exec(rest);
          if (dot !== null) {
            end += dot[0].length;
            continue;
          }
          const next = nextCapitalised.exec(rest);
          if (next === null) break;
          const listed = known.has(next[1]!.toLowerCase());
          if (!listed && extendedByUnlisted) break;
          if (!listed) extendedByUnlisted = true;
          end += next[0].length;
        }
        // A possessive "'s" belongs to the sentence, not the name.
        if (/['’]s$/.test(text.slice(start, end))) end -= 2;
        found.push({ type: 'PERSON', start, end, detector: 'person-list', priority: detectorPriority.person });
        coveredUntil = end;
        capitalised.lastIndex = end;
      }
    },
  };
}
