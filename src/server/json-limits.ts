import { UnbundleError } from '../errors.ts';

export const maxJsonDepth = 64;
export const maxJsonObjectKeys = 10_000;
export const maxJsonArrayItems = 100_000;

function limit(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_JSON_LIMIT', `${message} Requests of this shape are refused so that no later step (scanning, routing, forwarding) has to walk them.`);
}

/**
 * Refuses JSON nested deeper than 64 levels, objects with more than 10,000 keys and arrays with
 * more than 100,000 items. An explicit stack, not recursion, so a hostile body cannot overflow it;
 * strings and numbers are not visited, so a normal chat body costs a few dozen steps.
 */
export function checkJsonLimits(root: unknown): void {
  if (typeof root !== 'object' || root === null) return;
  const stack: Array<{ value: object; depth: number }> = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (depth > maxJsonDepth) throw limit(`The JSON body nests deeper than ${maxJsonDepth} levels.`);
    if (Array.isArray(value)) {
      if (value.length > maxJsonArrayItems) throw limit(`A JSON array in the body has ${value.length} items; the limit is ${maxJsonArrayItems}.`);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: depth + 1 });
      }
    } else {
      let keys = 0;
      for (const key in value) {
        if (++keys > maxJsonObjectKeys) throw limit(`A JSON object in the body has more than ${maxJsonObjectKeys} keys.`);
        const item: unknown = (value as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
}
