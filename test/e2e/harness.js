// Step runner of the browser test: every step is bounded in time, reports one line, and a failing
// step does not hide the results of the independent ones after it.
'use strict';

/** Runs fn, failing with a clear message when it takes longer than ms. */
async function withTimeout(ms, what, fn) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws with message when condition is false. */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Polls probe() until it returns a truthy value; returns it, or throws describing what never happened. */
async function waitUntil(probe, { timeoutMs = 15000, intervalMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not happen within ${timeoutMs / 1000} s${last ? ` (${last.message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Collects step results and prints one line per step. */
class StepRunner {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.failures = [];
  }

  /** Runs one step; returns true when it passed. onFailure runs after a failure (to reset state). */
  async step(name, fn, { timeoutMs = 60000, onFailure } = {}) {
    const started = Date.now();
    try {
      await withTimeout(timeoutMs, name, fn);
      this.passed++;
      console.log(`  ok    ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return true;
    } catch (err) {
      this.failed++;
      this.failures.push({ name, error: err });
      console.log(
        `  FAIL  ${name}\n        ${String(err && err.message)
          .split('\n')
          .join('\n        ')}`,
      );
      if (onFailure) await onFailure().catch(() => undefined);
      return false;
    }
  }

  /** Records a step that could not run because an earlier one failed. */
  skip(name, reason) {
    this.failed++;
    this.failures.push({ name, error: new Error(reason) });
    console.log(`  FAIL  ${name}\n        not run: ${reason}`);
  }
}

module.exports = { withTimeout, check, waitUntil, StepRunner };
