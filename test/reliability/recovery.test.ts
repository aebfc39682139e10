/**
 * Failures that outlast the retries: what reaches Catch nodes, and how long recovery takes when the sign-in service
 * was down (msal-node holds back for 60 s after a 5xx from the token endpoint that carries no Retry-After).
 */
import { strict as assert } from 'node:assert';
import type { Simulator } from '../simulator';
import { loadReceivers, printFigure, takeClientStats, freshRuntimePerCase } from './support';

const MAILBOX = 'user@contoso.example';

describe('recovery: o365-mail-in failures that outlast the retries', function () {
  this.timeout(30_000);
  let sim: Simulator;
  const currentSim = freshRuntimePerCase([MAILBOX]);
  beforeEach(() => {
    sim = currentSim();
  });

  it('passes a failed poll to Catch nodes with a clear message', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 3);
    const { nodes, record } = await loadReceivers(sim, MAILBOX, {});
    sim.failNext(10, 503, { match: { operation: 'listMessages' } });
    await nodes[0].poll();
    assert.equal(nodes[0].lastStatus?.fill, 'red');
    assert.equal(nodes[0].messages.length, 0);
    assert.ok(
      record.caught.some((c) => c.source === 'in0' && /unavailable|503/i.test(c.message)),
      `a Catch node saw the failed poll; it saw ${JSON.stringify(record.caught.map((c) => c.message))}, ` +
        `the node logged ${JSON.stringify(nodes[0].errors.map((e) => e.message))}`,
    );
  });

  it('recovers after a sign-in outage without Retry-After once msal stops holding back (60 s)', async function () {
    this.timeout(90_000);
    const expected = sim.seedMessages(MAILBOX, 'inbox', 5).length;
    const { nodes } = await loadReceivers(sim, MAILBOX, {});
    sim.expireTokens();
    sim.setTokenOutage(true);
    const outageStarted = Date.now();
    await nodes[0].poll();
    assert.equal(nodes[0].lastStatus?.fill, 'red');
    assert.match(nodes[0].errors[0]?.message ?? '', /sign-in service is unavailable/);
    sim.setTokenOutage(false);
    const ended = Date.now();
    let polls = 0;
    while (nodes[0].messages.length < expected && Date.now() - outageStarted < 75_000) {
      await new Promise((r) => setTimeout(r, 2000));
      await nodes[0].poll();
      polls++;
    }
    assert.equal(nodes[0].messages.length, expected, 'every mail delivered once the sign-in service is back');
    assert.notEqual(nodes[0].lastStatus?.fill, 'red');
    assert.equal(sim.counters.tokenRequests >= 2, true);
    const stats = takeClientStats();
    printFigure('receive/read token-outage-no-retry-after', {
      in: expected,
      out: nodes[0].messages.length,
      dup: 0,
      retries: stats.retries + stats.tokenRefreshes,
      recoverMs: Date.now() - ended,
      extra: `polls-after-outage=${polls}`,
    });
  });
});
