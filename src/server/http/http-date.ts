let second = -1;
let text = '';

/** The Date header's value (RFC 9110 IMF-fixdate), formatted once per second, not per response. */
export function httpDate(): string {
  const now = Date.now();
  const current = Math.floor(now / 1000);
  if (current !== second) {
    second = current;
    text = new Date(current * 1000).toUTCString();
  }
  return text;
}
