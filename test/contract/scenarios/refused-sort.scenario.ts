/**
 * A filter Graph cannot list oldest first: the engine falls back to Graph's order and still delivers each mail once.
 * On a tenant this needs a filter that tenant refuses to sort: set O365_CONTRACT_UNSORTABLE_FILTER to one.
 */
import { strict as assert } from 'node:assert';
import { assertOnceEach, numbered, type Scenario } from '../harness';

const tenantFilter = process.env.O365_CONTRACT_UNSORTABLE_FILTER;

export const scenario: Scenario = {
  name: 'refused sort: a filter Graph will not sort still drains each mail once',
  requires: tenantFilter ? [] : ['faults'],
  async run(t) {
    const folder = await t.folder('unsorted');
    const subjects = await t.seed(folder, numbered('unsorted', 6));
    // The simulator refuses the sorted listing as Graph does (400 InefficientFilter); a tenant gets a real filter.
    t.inject?.failNext(1, 400, { code: 'InefficientFilter', match: { operation: 'listMessages' } });
    const filter = t.inject ? 'isRead eq false' : (tenantFilter as string);
    const r = t.receiver({ folder, action: 'read', filter });
    await r.pollUntilQuiet();
    assertOnceEach(r.delivered, subjects);
    assert.ok(
      r.problems.some((p) => /cannot list this filter oldest first/.test(p)),
      `the engine said it fell back: ${JSON.stringify(r.problems)}`,
    );
  },
};
