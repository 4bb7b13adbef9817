/** A `data:` URL split into what Anthropic's `source.base64` and Gemini's `inlineData` want. */
export interface DataUrl {
  mediaType: string;
  base64: string;
}

const dataUrl = /^data:([^;,]+)?((?:;[^;,=]+=[^;,]*)*)(;base64)?,(.*)$/s;

/** Undefined when `url` is not a data URL; text (non-base64) payloads are encoded for the caller. */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith('data:')) return undefined;
  const match = dataUrl.exec(url);
  if (match === null) return undefined;
  const mediaType = match[1] ?? 'text/plain';
  const payload = match[4] ?? '';
  const base64 = match[3] !== undefined ? payload : Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
  return { mediaType, base64 };
}
