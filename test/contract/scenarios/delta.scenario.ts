/** Action none keeps a delta cursor: new mail once per poll, and a stale link (410) neither skips nor repeats mail. */
import { strict as assert } from 'node:assert';
import { assertOnceEach, numbered, type Scenario } from '../harness';

export const scenario: Scenario = {
  name: 'delta with a 410: mail before and after a stale link is delivered once, nothing after it repeated',
  async run(t) {
    const folder = await t.folder('delta');
    const first = await t.seed(folder, numbered('delta early', 3));
    const r = t.receiver({ folder, action: 'none' });
    assert.equal(r.receiver.mode, 'delta');
    await r.pollUntilQuiet();
    assertOnceEach(r.delivered, first, 'first poll');
    const later = await t.seed(folder, numbered('delta later', 2));
    // On the simulator the saved deltaLink turns stale now; a tenant keeps it (Graph decides when tokens expire).
    t.inject?.staleNextDeltaLinks(1);
    await r.pollUntilQuiet();
    if (t.inject)
      assert.ok(
        t.inject.requests.some((q) => q.status === 410),
        'the simulator answered 410',
      );
    assertOnceEach(r.delivered, [...first, ...later]);
    await r.pollUntilQuiet();
    assertOnceEach(r.delivered, [...first, ...later], 'a quiet poll after');
    assert.ok(
      (await t.list(folder)).every((m) => !m.isRead),
      'action none leaves the mails as they are',
    );
  },
};
