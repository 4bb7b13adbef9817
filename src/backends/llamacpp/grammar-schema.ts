/**
 * A JSON schema as node-llama-cpp's grammar builder can take it. It knows `oneOf` but not `anyOf`
 * (which it would ignore, leaving the value unconstrained: `{"a": null}` for an integer-or-boolean
 * field), nor a list of types (`type: ["integer", "null"]`). For a grammar both mean the same as
 * `oneOf` — the text must match one of the alternatives — so they are rewritten into it. The
 * OpenAI SDK's `zodResponseFormat` emits `anyOf` for every `.nullable()` and union.
 * Only schema positions are rewritten: property names, `enum` and `const` values stay as they are.
 * Keywords beside `anyOf` are carried into each alternative (node-llama-cpp would ignore them next
 * to `oneOf`).
 */
export function grammarSchema(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  let anyOf: unknown[] | undefined;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'anyOf' && Array.isArray(value) && schema.oneOf === undefined) anyOf = value;
    else if ((key === 'oneOf' || key === 'allOf' || key === 'anyOf' || key === 'prefixItems') && Array.isArray(value)) out[key] = value.map(grammarSchema);
    else if ((key === 'properties' || key === '$defs' || key === 'definitions' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, grammarSchema(sub)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not' || key === 'contains') out[key] = Array.isArray(value) ? value.map(grammarSchema) : grammarSchema(value);
    else out[key] = value;
  }
  if (anyOf !== undefined) {
    // node-llama-cpp reads oneOf before type and properties, so keywords beside anyOf go into each
    // alternative: {type: object, properties, anyOf: [{required: [a]}, …]} is one of the objects
    // that require a, ….
    const siblings = out;
    return { oneOf: anyOf.map((alternative) => grammarSchema(withSiblings(siblings, alternative))) };
  }
  const type = out.type;
  if (Array.isArray(type) && out.oneOf === undefined) {
    // `type: [A, B]` with the other keywords kept on each alternative that can use them.
    const { type: _types, ...rest } = out;
    return type.length === 1 ? { ...rest, type: type[0] } : { oneOf: type.map((one) => ({ ...rest, type: one })) };
  }
  return out;
}

/** One alternative of anyOf with the keywords around it (its own win; properties and required are merged). */
function withSiblings(siblings: Record<string, unknown>, alternative: unknown): unknown {
  if (Object.keys(siblings).length === 0 || !isObject(alternative)) return alternative;
  const merged: Record<string, unknown> = { ...siblings, ...alternative };
  if (isObject(siblings.properties) && isObject(alternative.properties)) merged.properties = { ...siblings.properties, ...alternative.properties };
  if (Array.isArray(siblings.required) && Array.isArray(alternative.required)) merged.required = [...new Set([...siblings.required, ...alternative.required])];
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
