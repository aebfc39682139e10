/** Action read with `search`: every match delivered once (also when the index is late), nothing redelivered later. */
import { strict as assert } from 'node:assert';
import { assertOnceEach, type Scenario } from '../harness';

export const scenario: Scenario = {
  name: 'search with action read: each match once, non-matches untouched, no redelivery at later polls',
  timeoutMs: 300_000,
  async run(t) {
    const folder = await t.folder('search');
    const word = `zq${t.runTag}`;
    const matches = await t.seed(
      folder,
      [1, 2, 3, 4].map((i) => ({ subject: `${word} match ${i}` })),
    );
    const others = await t.seed(folder, [{ subject: 'unrelated 1' }, { subject: 'unrelated 2' }]);
    const r = t.receiver({ folder, action: 'read', search: word });
    // The search index may lag behind new mail: poll until every match came (bounded), as a node would.
    await t.waitFor('every match to be found', async () => {
      await r.receiver.pollOnce();
      return new Set(r.delivered.map((m) => m.topic)).size >= matches.length ? true : undefined;
    });
    for (let i = 0; i < 3; i++) await r.receiver.pollOnce();
    assertOnceEach(r.delivered, matches);
    const listed = await t.list(folder);
    assert.deepEqual(
      listed.filter((m) => others.includes(m.subject) && m.isRead).map((m) => m.subject),
      [],
      'mails that do not match stay unread',
    );
  },
};
