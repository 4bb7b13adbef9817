/**
 * A JSON schema as node-llama-cpp's grammar builder can take it. It knows `oneOf` but not `anyOf`
 * (which it would ignore, leaving the value unconstrained: `{"a": null}` for an integer-or-boolean
 * field), nor a list of types (`type: ["integer", "null"]`). For a grammar both mean the same as
 * `oneOf` — the text must match one of the alternatives — so they are rewritten into it. The
 * OpenAI SDK's `zodResponseFormat` emits `anyOf` for every `.nullable()` and union.
 * Only schema positions are rewritten: property names, `enum` and `const` values stay as they are.
 */
export function grammarSchema(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'anyOf' && Array.isArray(value) && schema.oneOf === undefined) out.oneOf = value.map(grammarSchema);
    else if ((key === 'oneOf' || key === 'allOf' || key === 'anyOf' || key === 'prefixItems') && Array.isArray(value)) out[key] = value.map(grammarSchema);
    else if ((key === 'properties' || key === '$defs' || key === 'definitions' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, grammarSchema(sub)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not' || key === 'contains') out[key] = Array.isArray(value) ? value.map(grammarSchema) : grammarSchema(value);
    else out[key] = value;
  }
  const type = out.type;
  if (Array.isArray(type) && out.oneOf === undefined) {
    // `type: [A, B]` with the other keywords kept on each alternative that can use them.
    const { type: _types, ...rest } = out;
    return type.length === 1 ? { ...rest, type: type[0] } : { oneOf: type.map((one) => ({ ...rest, type: one })) };
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
