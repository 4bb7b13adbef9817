/**
 * Reversible redaction for one request: each distinct (type, value) gets a stable placeholder such
 * as `<EMAIL_1>`; the mapping lives only in this object, which lives only as long as the request.
 */
export class Placeholders {
  private readonly byValue = new Map<string, string>();
  /** placeholder → original value. */
  readonly values = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  /** Longest placeholder so far: a streamed tail longer than this cannot be one. */
  longest = 0;

  /** `taken` says whether a candidate already occurs in the request's own text (never reuse it). */
  constructor(private readonly taken: (candidate: string) => boolean = () => false) {}

  for(type: string, value: string): string {
    const key = `${type}\u0000${value}`;
    const known = this.byValue.get(key);
    if (known !== undefined) return known;
    let n = this.counters.get(type) ?? 0;
    let placeholder: string;
    do placeholder = `<${type}_${++n}>`;
    while (this.taken(placeholder));
    this.counters.set(type, n);
    this.byValue.set(key, placeholder);
    this.values.set(placeholder, value);
    if (placeholder.length > this.longest) this.longest = placeholder.length;
    return placeholder;
  }

  get size(): number {
    return this.values.size;
  }

  /** Whether `tail` (starting with '<') could still grow into a known placeholder. */
  couldStart(tail: string): boolean {
    if (tail.length >= this.longest) return false;
    for (const placeholder of this.values.keys()) if (placeholder.startsWith(tail)) return true;
    return false;
  }
}

const placeholderPattern = /<[A-Z][A-Z0-9_]*_\d+>/g;

/** Puts the original values back for every known placeholder in `text`. */
export function restoreText(text: string, placeholders: Placeholders): string {
  if (placeholders.size === 0 || !text.includes('<')) return text;
  return text.replace(placeholderPattern, (match) => placeholders.values.get(match) ?? match);
}

/**
 * The same inside JSON text (tool-call arguments): a placeholder sits inside a JSON string there,
 * so the value goes back JSON-escaped, keeping the arguments valid JSON.
 */
export function restoreJsonText(text: string, placeholders: Placeholders): string {
  if (placeholders.size === 0 || !text.includes('<')) return text;
  return text.replace(placeholderPattern, (match) => {
    const value = placeholders.values.get(match);
    return value === undefined ? match : JSON.stringify(value).slice(1, -1);
  });
}

/** Replaces the given spans (sorted, non-overlapping) of `text` by placeholders. */
export function redactSpans(text: string, spans: ReadonlyArray<{ type: string; start: number; end: number }>, placeholders: Placeholders): string {
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + placeholders.for(span.type, text.slice(span.start, span.end));
    at = span.end;
  }
  return out + text.slice(at);
}
