import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add } from '../calc.js';

test('add sums', () => {
  assert.equal(add(2, 3), 5);
});
