/** Two consumers (as in two Node-REDs) claim the same mails of one folder at once: together they deliver each once. */
import { strict as assert } from 'node:assert';
import { assertOnceEach, numbered, type Scenario } from '../harness';

export const scenario: Scenario = {
  name: 'claim with two consumers: every mail delivered by exactly one of them, once',
  async run(t) {
    const folder = await t.folder('claim');
    // Two Node-REDs on one mailbox: neither waits for the other's requests.
    const a = t.receiver({ folder, action: 'read', claim: true }, 'a');
    const b = t.receiver({ folder, action: 'read', claim: true }, 'b');
    // Both find their folders first, so that both list the same mails and claim them at the same time.
    await Promise.all([a.receiver.pollOnce(), b.receiver.pollOnce()]);
    const subjects = await t.seed(folder, numbered('claim', 12));
    // On the simulator each move waits a little: both consumers mark the same mails, then move them together.
    t.inject?.slowNext(24, 100, { match: { operation: 'moveMessage' } });
    try {
      for (let round = 0; round < 10; round++) {
        const [sa, sb] = await Promise.all([a.receiver.pollOnce(), b.receiver.pollOnce()]);
        if (sa.delivered + sb.delivered === 0 && round > 0) break;
      }
    } finally {
      t.inject?.clearFaults();
    }
    assertOnceEach([...a.delivered, ...b.delivered], subjects);
    const byA = new Set(a.delivered.map((m) => m.topic));
    assert.ok(
      b.delivered.every((m) => !byA.has(m.topic)),
      'no mail went to both',
    );
    assert.deepEqual([...a.problems, ...b.problems], []);
    if (t.inject) {
      const lost = a.receiver.counters.claimsLost + b.receiver.counters.claimsLost;
      assert.ok(lost > 0, 'the two consumers really contended for the same mails');
    }
  },
};
