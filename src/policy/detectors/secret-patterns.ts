/**
 * Credentials with a recognisable prefix. Each is tried only where a token starts with its first
 * characters, so adding one costs almost nothing on text that does not contain it. `check` is for
 * prefixes shared with ordinary words (`sk-learn-…`): real keys mix cases and digits.
 */

export interface KnownToken {
  name: string;
  prefixes: readonly string[];
  pattern: RegExp;
  check?: (value: string) => boolean;
}

const mixed = (value: string): boolean => /\d/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value);

export const knownTokens: readonly KnownToken[] = [
  { name: 'anthropic-key', prefixes: ['sk-ant-'], pattern: /sk-ant-[a-z]+\d*-[A-Za-z0-9_-]{32,}/y },
  { name: 'openai-key', prefixes: ['sk-'], pattern: /sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/y, check: mixed },
  { name: 'stripe-key', prefixes: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'], pattern: /[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/y },
  {
    name: 'aws-access-key-id',
    prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AIPA', 'ANPA', 'ANVA', 'APKA', 'AROA', 'ASCA'],
    pattern: /A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA|SCA)[A-Z0-9]{16}/y,
  },
  { name: 'google-api-key', prefixes: ['AIza'], pattern: /AIza[0-9A-Za-z_-]{35}/y },
  { name: 'github-token', prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], pattern: /gh[pousr]_[A-Za-z0-9]{36,255}/y },
  { name: 'github-token', prefixes: ['github_pat_'], pattern: /github_pat_[A-Za-z0-9_]{40,255}/y },
  { name: 'gitlab-token', prefixes: ['glpat-'], pattern: /glpat-[A-Za-z0-9_-]{20,}/y },
  { name: 'slack-token', prefixes: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxo-', 'xoxr-', 'xoxs-', 'xapp-'], pattern: /xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{20,}/y },
  { name: 'huggingface-token', prefixes: ['hf_'], pattern: /hf_[A-Za-z0-9]{30,}/y, check: mixed },
  { name: 'npm-token', prefixes: ['npm_'], pattern: /npm_[A-Za-z0-9]{36}/y },
  { name: 'sendgrid-key', prefixes: ['SG.'], pattern: /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/y },
  { name: 'jwt', prefixes: ['eyJ'], pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/y },
];

/**
 * Where to look for known tokens without testing every word: prefixes containing '-' or '_' are
 * found from those characters (rare in prose; one indexOf pass each), the others (`AKIA…`, `eyJ`)
 * by one literal regex per first character, which V8 searches for like a plain substring.
 */
export interface PrefixAnchor {
  /** A single '-' or '_', or a regex of whole prefixes sharing their first character. */
  needle: string | RegExp;
  /** For a '-' or '_' needle: the characters that may stand just before it ("sk-" → 'k'). */
  before: ReadonlySet<number> | undefined;
  entries: ReadonlyArray<{ prefix: string; offset: number; token: KnownToken }>;
}

export const prefixAnchors: readonly PrefixAnchor[] = (() => {
  const byChar = new Map<string, Array<{ prefix: string; offset: number; token: KnownToken }>>();
  const byFirst = new Map<string, Array<{ prefix: string; offset: number; token: KnownToken }>>();
  for (const token of knownTokens) {
    for (const prefix of token.prefixes) {
      const offset = prefix.search(/[-_]/);
      const [map, key] = offset === -1 ? [byFirst, prefix[0]!] : [byChar, prefix[offset]!];
      const list = map.get(key) ?? [];
      list.push({ prefix, offset: Math.max(offset, 0), token });
      map.set(key, list);
    }
  }
  const escape = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    ...[...byChar].map(([needle, entries]) => ({ needle, before: new Set(entries.map((e) => e.prefix.charCodeAt(e.offset - 1))), entries })),
    ...[...byFirst].map(([, entries]) => ({ needle: new RegExp(entries.map((e) => escape(e.prefix)).join('|'), 'g'), before: undefined, entries })),
  ];
})();

/** What stands between a credential's name and its value. */
export const credentialSeparators = [':', '=', ' is '] as const;

/** `password = "…"`, `api_key: …`, `token is …` — the value after a credential-ish name. Sticky:
 * tried only at names found before a separator. */
export const credentialAssignment =
  /(?:password|passwd|pwd|passphrase|secret|client[_-]?secret|token|auth[_-]?token|access[_-]?token|refresh[_-]?token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key)\b["']?\s*(?::|=|\bis\b)\s*["'`]?([^\s"'`,;<>{}()[\]]{6,200})/iy;

export const bearerToken = /\bBearer\s+([A-Za-z0-9\-._~+/]{20,}=*)/g;

/** A value that names or hides a secret rather than being one: `${TOKEN}`, `<your key>`, `****`. */
export function isPlaceholder(value: string): boolean {
  if (/^(?:\$|%|<|\{|\*|x{4,}|X{4,}|\.{3})/.test(value)) return true;
  if (/^(.)\1+$/.test(value)) return true;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/\d/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return classes < 2;
}
