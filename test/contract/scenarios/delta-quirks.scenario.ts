/**
 * Action none against Graph's delta quirks (issue 10): partial items, mail that shows up late with an old
 * receivedDateTime, and a search index that lags. They need the simulator's quirks to be forced.
 */
import { assertOnceEach, numbered, type Scenario, type Target } from '../harness';

/** Flags a mail through Graph, as a mailbox rule would: Exchange counts it as changed. */
async function flag(t: Target, id: string): Promise<void> {
  await t.api.client.request({
    method: 'PATCH',
    path: `/users/${encodeURIComponent(t.mailbox)}/messages/${encodeURIComponent(id)}`,
    body: { flag: { flagStatus: 'flagged' } },
    mailbox: t.mailbox,
  });
}

export const scenarios: Scenario[] = [
  {
    name: 'delta partial items: a mail changed before its first delivery is delivered whole, once',
    requires: ['quirks'],
    async run(t) {
      const sim = t.inject!;
      const folder = await t.folder('partial');
      const first = await t.seed(folder, numbered('partial early', 2));
      const r = t.receiver({ folder, action: 'none' });
      await r.pollUntilQuiet();
      const later = await t.seed(folder, numbered('partial later', 2));
      // A rule flags the new mail before the node sees it: the next round reports it as changed, and partially.
      const flagged = sim.messages(t.mailbox, folder).find((m) => m.subject === later[0]);
      await flag(t, String(flagged?.id));
      sim.setQuirks({ deltaPartialItems: 1 });
      try {
        await r.pollUntilQuiet();
      } finally {
        sim.setQuirks({ deltaPartialItems: 0 });
      }
      assertOnceEach(r.delivered, [...first, ...later]);
    },
  },
  {
    name: 'delta out of order: a mail delivered late with an old receivedDateTime is delivered once',
    requires: ['quirks'],
    async run(t) {
      const sim = t.inject!;
      const folder = await t.folder('late');
      const first = await t.seed(folder, numbered('late early', 4));
      sim.setQuirks({ deltaShuffle: true });
      try {
        const r = t.receiver({ folder, action: 'none' });
        await r.pollUntilQuiet();
        sim.deliverLate(t.mailbox, folder, { subject: t.tag('late and large') });
        await r.pollUntilQuiet();
        assertOnceEach(r.delivered, [...first, t.tag('late and large')]);
      } finally {
        sim.setQuirks({ deltaShuffle: false });
      }
    },
  },
  {
    name: 'search with action none: an older match the index takes in late is still delivered, once',
    requires: ['quirks'],
    async run(t) {
      const sim = t.inject!;
      const folder = await t.folder('search-lag');
      const word = `zl${t.runTag}`;
      const r = t.receiver({ folder, action: 'none', search: word });
      await r.pollUntilQuiet();
      const [older, newer] = await t.seed(folder, [
        { subject: `${word} older` },
        { subject: `${word} newer` },
      ]);
      sim.setQuirks({ searchLagMs: 300 });
      try {
        await new Promise((resolve) => setTimeout(resolve, 350));
        // A rule flags the older match: the index takes it in again, so for a while only the newer one is found.
        const id = sim.messages(t.mailbox, folder).find((m) => m.subject === older)?.id;
        await flag(t, String(id));
        await r.receiver.pollOnce();
        await new Promise((resolve) => setTimeout(resolve, 350));
        await r.pollUntilQuiet();
        assertOnceEach(r.delivered, [older, newer]);
      } finally {
        sim.setQuirks({ searchLagMs: 0 });
      }
    },
  },
];
