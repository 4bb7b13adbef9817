/**
 * OpenAI carries tool arguments as JSON text; Anthropic (`input`) and Gemini (`args`) want the
 * object. Text that is not a JSON object (a model that wrote broken arguments) is kept under
 * `_raw` rather than dropped, so the provider still sees what was said.
 */
export function argumentsObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { _raw: text };
}

/** A provider's tool-call id, or a stable one when the provider gives none (Gemini). */
export function toolCallId(prefix: string, index: number, given: unknown): string {
  return typeof given === 'string' && given !== '' ? given : `${prefix}_${index}`;
}
