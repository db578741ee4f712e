import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shout } from '../shout.js';

test('shout is loud', () => {
  assert.equal(shout('hey'), 'HEY!');
});
