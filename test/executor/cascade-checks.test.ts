import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failedCascadeCheck, statedConfidence } from '../../src/executor/cascade-checks.ts';

describe('cascade checks', () => {
  it('json and json-schema', () => {
    assert.equal(failedCascadeCheck('{"a":1}', [{ kind: 'json' }]), undefined);
    assert.match(failedCascadeCheck('not json at all', [{ kind: 'json' }])!, /^json: not JSON/);
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    assert.equal(failedCascadeCheck('Sure: ```json\n{"a": 2}\n```', [{ kind: 'json-schema', schema }]), undefined);
    assert.match(failedCascadeCheck('{"a": "two"}', [{ kind: 'json-schema', schema }])!, /^json-schema: a:/);
  });

  it('regex, min-length and the first failing check is named', () => {
    assert.equal(failedCascadeCheck('Answer: 42', [{ kind: 'regex', pattern: 'answer: \\d+', flags: 'i' }]), undefined);
    assert.equal(failedCascadeCheck('no number', [{ kind: 'regex', pattern: '\\d' }]), 'regex: does not match /\\d/');
    assert.equal(failedCascadeCheck('  short ', [{ kind: 'min-length', chars: 6 }]), 'min-length: shorter than 6 characters');
    assert.match(failedCascadeCheck('long enough text', [{ kind: 'min-length', chars: 3 }, { kind: 'json' }])!, /^json:/);
  });

  it('confidence: JSON field, percentages, missing', () => {
    assert.equal(statedConfidence('{"answer": "x", "confidence": 0.82}'), 0.82);
    assert.equal(statedConfidence('The answer is x.\nConfidence: 35%'), 0.35);
    assert.equal(statedConfidence('no idea'), undefined);
    assert.equal(failedCascadeCheck('Confidence: 0.9', [{ kind: 'confidence', min: 0.8 }]), undefined);
    assert.equal(failedCascadeCheck('Confidence: 0.5', [{ kind: 'confidence', min: 0.8 }]), 'confidence: confidence 0.5 below 0.8');
    assert.equal(failedCascadeCheck('I think so', [{ kind: 'confidence', min: 0.8 }]), 'confidence: no confidence stated');
  });
});
