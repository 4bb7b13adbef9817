import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { extractJson, jsonSchemaValidity } from '../../src/eval/metrics/json-schema.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';

const person = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } },
  required: ['name', 'age'],
  additionalProperties: false,
};

describe('JSON extraction', () => {
  it('finds JSON alone, in a fence, or inside prose', () => {
    assert.deepEqual(extractJson('{"a": 1}'), { ok: true, value: { a: 1 } });
    assert.deepEqual(extractJson('Sure:\n```json\n[1, 2]\n```'), { ok: true, value: [1, 2] });
    assert.deepEqual(extractJson('The result is {"ok": true} as requested.'), { ok: true, value: { ok: true } });
    assert.equal(extractJson('').ok, false);
    assert.equal(extractJson('{"a": }').ok, false);
  });
});

describe('json-schema validity', () => {
  it('accepts valid JSON and names the first failing field otherwise', () => {
    assert.deepEqual(jsonSchemaValidity('{"name": "Zoë", "age": 7}', person), { score: 1, detail: { valid: true } });
    const wrongType = jsonSchemaValidity('{"name": "Zoë", "age": "seven"}', person);
    assert.equal(wrongType.score, 0);
    assert.match(String(wrongType.detail.reason), /^age: /);
    assert.match(String(jsonSchemaValidity('{"name": "Zoë"}', person).detail.reason), /^age: /);
    assert.equal(jsonSchemaValidity('{"name": "Zoë", "age": 7, "extra": 1}', person).score, 0);
    assert.equal(jsonSchemaValidity('{"name": "Zoë", "age": -1}', person).score, 0);
  });

  it('scores empty or non-JSON answers 0 and any JSON 1 without a schema', () => {
    assert.equal(jsonSchemaValidity('', person).score, 0);
    assert.match(String(jsonSchemaValidity('not json', undefined).detail.reason), /^not JSON/);
    assert.equal(jsonSchemaValidity('"just a string"', undefined).score, 1);
  });

  it('prefers the item schema over the metric option', async () => {
    const [metric] = resolveMetrics([{ metric: 'json-schema', schema: person }]);
    const item: SuiteItem = { id: 'j', input: 'q', jsonSchema: { type: 'array' } };
    assert.equal((await metric!.score('[1]', item, {})).score, 1);
    assert.equal((await metric!.score('{"name": "a", "age": 1}', item, {})).score, 0);
    assert.equal((await metric!.score('{"name": "a", "age": 1}', { id: 'k', input: 'q' }, {})).score, 1);
  });

  it('rejects a schema that cannot be used', () => {
    assert.throws(() => resolveMetrics([{ metric: 'json-schema', schema: { type: 'no-such-type' } }]), /metrics\[0\]\.schema: not a usable JSON Schema/);
  });
});
