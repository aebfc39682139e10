/** Test helpers: the error a promise rejects with (fails the test when it resolves or rejects with another kind). */
import { strict as assert } from 'node:assert';
import { O365Error } from '../../src/graph/errors';

/** The error a promise rejects with, checked to be of `type`. */
export async function rejectionOf<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a ${type.name}, but it succeeded`);
}

/** The error a promise rejects with: an O365Error unless another class is named. */
export function rejection(promise: Promise<unknown>): Promise<O365Error>;
export function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T>;
export function rejection(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error = O365Error,
): Promise<Error> {
  return rejectionOf(promise, type);
}
