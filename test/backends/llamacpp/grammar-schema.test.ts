import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grammarSchema } from '../../../src/backends/llamacpp/grammar-schema.ts';

test('anyOf becomes oneOf at every schema position; names, enum and const values are left alone', () => {
  const schema = {
    type: 'object',
    properties: {
      anyOf: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
      list: { type: 'array', items: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/thing' }] } },
      fixed: { const: { anyOf: 1 } },
      choice: { enum: ['anyOf', 'x'] },
    },
    $defs: { thing: { type: 'object', properties: { v: { anyOf: [{ type: 'boolean' }] } }, additionalProperties: { anyOf: [{ type: 'number' }] } } },
    required: ['anyOf'],
  };
  assert.deepEqual(grammarSchema(schema), {
    type: 'object',
    properties: {
      anyOf: { oneOf: [{ type: 'integer' }, { type: 'null' }] },
      list: { type: 'array', items: { oneOf: [{ type: 'string' }, { $ref: '#/$defs/thing' }] } },
      fixed: { const: { anyOf: 1 } },
      choice: { enum: ['anyOf', 'x'] },
    },
    $defs: { thing: { type: 'object', properties: { v: { oneOf: [{ type: 'boolean' }] } }, additionalProperties: { oneOf: [{ type: 'number' }] } } },
    required: ['anyOf'],
  });
});

test('a list of types becomes a oneOf of each type, keeping the other keywords; a one-type list is that type', () => {
  assert.deepEqual(grammarSchema({ type: ['string', 'null'], description: 'd' }), { oneOf: [{ type: 'string', description: 'd' }, { type: 'null', description: 'd' }] });
  assert.deepEqual(grammarSchema({ type: ['integer'] }), { type: 'integer' });
  assert.equal(grammarSchema('x'), 'x');
});

test('keywords beside anyOf go into each alternative (node-llama-cpp reads oneOf before them), merging properties and required', () => {
  const schema = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } }, required: ['a'], anyOf: [{ required: ['b'] }, { properties: { c: { type: 'boolean' } } }] };
  assert.deepEqual(grammarSchema(schema), {
    oneOf: [
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } }, required: ['a', 'b'] },
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' }, c: { type: 'boolean' } }, required: ['a'] },
    ],
  });
  // A type list on an object keeps its properties on the object alternative.
  assert.deepEqual(grammarSchema({ type: ['object', 'null'], properties: { x: { type: 'string' } } }), {
    oneOf: [{ properties: { x: { type: 'string' } }, type: 'object' }, { properties: { x: { type: 'string' } }, type: 'null' }],
  });
});
