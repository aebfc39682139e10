/** Two consumers claim from one folder: together they deliver every mail exactly once. */
import { strict as assert } from 'node:assert';
import { assertOnceEach, numbered, type Scenario } from '../harness';

export const scenario: Scenario = {
  name: 'claim with two consumers: every mail delivered by exactly one of them, once',
  async run(t) {
    const folder = await t.folder('claim');
    const subjects = await t.seed(folder, numbered('claim', 12));
    t.inject?.setLatency(5); // interleave the two consumers' moves
    const a = t.receiver({ folder, action: 'read', claim: true });
    const b = t.receiver({ folder, action: 'read', claim: true });
    for (let round = 0; round < 10; round++) {
      const [sa, sb] = await Promise.all([a.receiver.pollOnce(), b.receiver.pollOnce()]);
      if (sa.delivered + sb.delivered === 0 && round > 0) break;
    }
    assertOnceEach([...a.delivered, ...b.delivered], subjects);
    const byA = new Set(a.delivered.map((m) => m.topic));
    assert.ok(
      b.delivered.every((m) => !byA.has(m.topic)),
      'no mail went to both',
    );
    assert.deepEqual([...a.problems, ...b.problems], []);
    t.inject?.setLatency(0);
  },
};
