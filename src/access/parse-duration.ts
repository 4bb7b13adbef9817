const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * "30d", "12h", "90m", "45s", "2w" → milliseconds; undefined when the text is not such a duration.
 * Used for key expiry (`--expires 30d`, the admin API's `expires`).
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]) * units[match[2]!]!;
  return value > 0 ? value : undefined;
}

/** `--expires`: a duration from now, or an ISO date/time; a clear message otherwise. */
export function expiryFrom(text: string, now: number): number | string {
  const duration = parseDuration(text);
  if (duration !== undefined) return now + duration;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) return at > now ? at : `expiry ${text} is in the past`;
  }
  return `"${text}" is not a duration such as 30d, 12h, 90m or 2w, nor an ISO date such as 2027-01-31`;
}
