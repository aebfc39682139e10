import { strict as assert } from 'node:assert';
import { GraphError, NetworkError } from '../../../src/graph/errors';
import { readReceiveOptions } from '../../../src/receive/options';
import { PageSizes } from '../../../src/receive/page-size';
import type { Simulator } from '../../simulator';
import { engine, MAILBOX, freshSimulator } from './harness';

const gatewayTimeout = new GraphError({ code: 'UnknownError', reason: 'unavailable', status: 504 });
const clientTimeout = new NetworkError({ code: 'Timeout', reason: 'timeout' });
const withAttachments = readReceiveOptions({ username: MAILBOX });

describe('receive: page sizes after Graph timed out on big pages', () => {
  it('steps down to a quarter without attachments, a sixteenth, then ids only; other errors do not count', () => {
    const pages = new PageSizes();
    assert.deepEqual(pick(pages), { top: 250, expand: true, light: false });
    assert.equal(pages.tooBig(new GraphError({ code: 'x', reason: 'bad-request', status: 400 })), false);
    assert.equal(pages.tooBig(gatewayTimeout), true);
    assert.deepEqual(pick(pages), { top: 62, expand: false, light: false });
    assert.equal(pages.tooBig(clientTimeout), true);
    assert.deepEqual(pick(pages), { top: 15, expand: false, light: false });
    assert.equal(pages.tooBig(gatewayTimeout), true);
    assert.deepEqual(pick(pages), { top: 1000, expand: false, light: true });
    assert.equal(pages.canShrink, false);
    assert.equal(pages.tooBig(gatewayTimeout), false, 'nothing smaller is left');
    assert.equal(pages.listing(withAttachments, 7).top, 7, 'never more than wanted');
  });

  it('tries one step bigger after 20 good pages, and waits twice as long after a step up that failed', () => {
    const pages = new PageSizes();
    pages.tooBig(gatewayTimeout);
    for (let i = 0; i < 19; i++) pages.succeeded();
    assert.equal(pages.level, 1);
    pages.succeeded();
    assert.equal(pages.level, 0, 'recovered after 20 good pages');
    pages.tooBig(gatewayTimeout);
    for (let i = 0; i < 39; i++) pages.succeeded();
    assert.equal(pages.level, 1, 'the step up failed: 40 good pages now');
    pages.succeeded();
    assert.equal(pages.level, 0);
  });

  describe('against the simulator', () => {
    let sim: Simulator;
    freshSimulator((s) => (sim = s));

    it('reads mails one by one when even a page of one is too big, and delivers each whole, once', async () => {
      const body = 'x'.repeat(60_000);
      sim.seedMessages(MAILBOX, 'inbox', 12, (i) => ({ subject: `big ${i}`, body }));
      sim.setQuirks({ largePage: { maxResponseBytes: 50_000 } });
      const e = engine(sim, { action: 'read', maxMessages: 0 });
      await e.receiver.pollOnce();
      await e.receiver.pollOnce();
      e.close();
      assert.equal(e.delivered.length, 12);
      assert.equal(new Set(e.delivered.map((m) => m.topic)).size, 12);
      assert.ok(e.delivered.every((m) => m.payload === body));
      assert.equal(sim.counters.byOperation.getMessage, 12, 'each read once by id');
      assert.ok(sim.messages(MAILBOX, 'inbox').every((m) => m.isRead));
    });

    it('asks a delta page again smaller when it times out', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 30);
      sim.failNext(1, 504, { match: { operation: 'delta' } });
      const e = engine(sim, { action: 'none', maxMessages: 0 });
      await e.receiver.pollOnce();
      e.close();
      assert.equal(e.delivered.length, 30);
      const sizes = sim.requests
        .filter((r) => r.operation === 'delta')
        .map((r) => /maxpagesize=(\d+)/.exec(r.headers.prefer ?? '')?.[1]);
      assert.deepEqual(sizes.slice(0, 2), ['1000', '250']);
    });
  });
});

function pick(pages: PageSizes) {
  const shape = pages.listing(withAttachments);
  return { top: shape.top, expand: shape.expandAttachments, light: shape.light };
}
