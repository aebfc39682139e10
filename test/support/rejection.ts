/** Test helper: the O365Error a promise rejects with (fails the test when it resolves or rejects otherwise). */
import { strict as assert } from 'node:assert';
import { O365Error } from '../../src/graph/errors';

export async function rejection(promise: Promise<unknown>): Promise<O365Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof O365Error, `expected an O365Error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}
