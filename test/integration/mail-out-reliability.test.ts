/**
 * o365-mail-out under trouble, in the real Node-RED runtime against the simulator: 429 and 503 storms (each mail
 * delivered exactly once), unknown outcomes (never resent, clear error), draft clean-up, queueing and order, close.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../simulator';
import { COLLEAGUE, MAILBOX, MailOutHarness, mailOutSuite } from './mail-out-harness';
import { helper, waitFor } from './setup';

const MB = 1024 * 1024;

/** A sendMail of unclear outcome is looked for in Sent Items for half a second (30 s by default). */
const QUICK_CHECK = { retry: { sentItemsWaitMs: 500 } };

function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buffer[i] = (i * 17 + seed) & 0xff;
  return buffer;
}

describe('o365-mail-out reliability (integration)', function () {
  this.timeout(30_000);
  const suite = mailOutSuite({ o365: QUICK_CHECK });
  let sim: Simulator;
  let draftsBefore: number;
  beforeEach(() => {
    sim = suite.sim;
    draftsBefore = sim.messages(MAILBOX, 'drafts').length;
  });

  const subjectsSent = (): string[] => suite.sentNow().map((r) => r.message.subject);
  /** How many drafts this test left in the sender's mailbox. */
  const newDrafts = () => sim.messages(MAILBOX, 'drafts').length - draftsBefore;
  const big = (seed: number) => [{ filename: 'big.bin', content: bytes(5 * MB, seed) }];

  async function sendAll(node: MailOutHarness, subjects: string[], extra: Record<string, unknown> = {}) {
    const ids = subjects.map((topic) => node.input({ to: COLLEAGUE, topic, payload: topic, ...extra }));
    return Promise.all(ids.map((id) => node.outcome(id, 20_000)));
  }

  describe('throttling storms', () => {
    it('delivers every mail exactly once through a 429 storm, honouring Retry-After', async () => {
      const node = await MailOutHarness.load(sim);
      sim.throttleNext(6, { retryAfter: 1, match: { operation: 'sendMail' } });
      const subjects = Array.from({ length: 6 }, (_, i) => `storm-429-${i}`);
      const outcomes = await sendAll(node, subjects);
      assert.deepEqual(
        outcomes.map((o) => o.kind),
        subjects.map(() => 'sent'),
      );
      assert.deepEqual([...subjectsSent()].sort(), [...subjects].sort(), 'each mail went once');
      assert.ok(sim.counters.throttled >= 6);
      assert.ok(node.statuses.some((s) => s.text === 'throttled, retrying in 1s'));
    });

    it('never repeats a sendMail answered 503: what Sent Items does not show ends as "may or may not"', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(2, 503, { retryAfter: 1, match: { operation: 'sendMail' } });
      sim.failAfterNext(1, 503, { retryAfter: null, match: { operation: 'sendMail' } });
      const subjects = Array.from({ length: 5 }, (_, i) => `storm-503-${i}`);
      const outcomes = await sendAll(node, subjects);
      const unknown = outcomes.filter((o) => o.kind === 'error' && /may or may not/.test(o.message));
      assert.equal(unknown.length, 2, 'the two Graph did not take, not found in Sent Items');
      assert.equal(outcomes.filter((o) => o.kind === 'sent').length, 3, 'incl. the one found in Sent Items');
      assert.equal(sim.counters.byOperation.sendMail, 5, 'no sendMail repeated');
      assert.equal(subjectsSent().length, new Set(subjectsSent()).size, 'none sent twice');
      assert.equal(subjectsSent().length, 3);
    });

    it('rides a 503 storm on the draft path: still a draft, so /send of that draft again, each once', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(3, 503, { retryAfter: 1, match: { operation: 'sendDraft' } });
      const subjects = Array.from({ length: 3 }, (_, i) => `draft-storm-503-${i}`);
      const outcomes = await sendAll(node, subjects, { attachments: big(20) });
      assert.ok(outcomes.every((o) => o.kind === 'sent'));
      assert.deepEqual([...subjectsSent()].sort(), [...subjects].sort());
      assert.equal(newDrafts(), 0);
    });

    it('rides a storm on every step of the draft path and sends once', async () => {
      const node = await MailOutHarness.load(sim);
      for (const operation of ['createDraft', 'createUploadSession', 'uploadChunk', 'sendDraft'] as const) {
        sim.throttleNext(1, { retryAfter: 1, match: { operation } });
      }
      const out = await node.sent(
        { to: COLLEAGUE, topic: 'draft storm', payload: 'x', attachments: big(1) },
        20_000,
      );
      assert.equal(out.o365.path, 'draft');
      assert.deepEqual(subjectsSent(), ['draft storm']);
      assert.equal(sim.sent.at(-1)?.message.attachments[0].content.equals(big(1)[0].content), true);
      assert.equal(newDrafts(), 0);
    });
  });

  describe('unknown outcomes', () => {
    it('finds a sendMail whose connection dropped after Graph took it in Sent Items: sent, once', async () => {
      const node = await MailOutHarness.load(sim);
      sim.dropNext(1, { after: true, match: { operation: 'sendMail' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'dropped', payload: 'x' });
      assert.match(String(out.o365.warnings), /found in Sent Items: it was sent once/);
      assert.equal(sim.counters.byOperation.sendMail, 1, 'one attempt only');
      assert.deepEqual(subjectsSent(), ['dropped'], 'Graph had sent it, exactly once');
    });

    it('does not resend a sendMail whose connection dropped before Graph took it, and says so', async () => {
      const node = await MailOutHarness.load(sim);
      sim.dropNext(1, { after: false, match: { operation: 'sendMail' } });
      const message = await node.fails({ to: COLLEAGUE, topic: 'lost', payload: 'x' });
      assert.match(message, /the mail to colleague@contoso\.example may or may not have been sent/);
      assert.match(message, /not in Sent Items after 1 s\); it was not sent again/);
      assert.equal(sim.counters.byOperation.sendMail, 1, 'one attempt only');
      assert.deepEqual(subjectsSent(), []);
    });

    for (const status of [500, 502, 504]) {
      it(`does not resend after HTTP ${status}`, async () => {
        const node = await MailOutHarness.load(sim);
        sim.failNext(1, status, { match: { operation: 'sendMail' } });
        const message = await node.fails({ to: COLLEAGUE, payload: 'x' });
        assert.match(message, /may or may not have been sent/);
        assert.equal(sim.counters.byOperation.sendMail, 1);
        assert.equal(node.statuses.at(-1)?.fill, 'red');
      });
    }

    it('repeats /send of a draft whose connection dropped before Graph took it, once it saw the draft unsent', async () => {
      const node = await MailOutHarness.load(sim);
      sim.dropNext(1, { after: false, match: { operation: 'sendDraft' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'lost send', payload: 'x', attachments: big(2) });
      assert.equal(out.o365.path, 'draft');
      assert.equal(sim.counters.byOperation.sendDraft, 2);
      assert.ok(sim.counters.byOperation.getMessage >= 1, 'read the draft first');
      assert.deepEqual(subjectsSent(), ['lost send']);
      assert.equal(newDrafts(), 0);
    });

    it('keeps a draft whose state it cannot read after an unclear /send, and says where to look', async () => {
      const node = await MailOutHarness.load(sim);
      sim.dropNext(1, { after: false, match: { operation: 'sendDraft' } });
      sim.failNext(1, 403, { code: 'ErrorAccessDenied', match: { operation: 'getMessage' } });
      const message = await node.fails({ to: COLLEAGUE, topic: 'unread', payload: 'x', attachments: big(3) });
      assert.match(message, /may or may not have been sent.*could not look.*still in Drafts/);
      assert.equal(sim.counters.byOperation.sendDraft, 1);
      assert.deepEqual(subjectsSent(), []);
      assert.equal(newDrafts(), 1, 'the unsent draft is kept as evidence');
    });

    it('fails a send that times out as of unknown outcome when Sent Items does not show it in time', async () => {
      helper.settings({ o365: { ...QUICK_CHECK, timeoutMs: 1000 } });
      const node = await MailOutHarness.load(sim);
      sim.slowNext(1, 2500, { match: { operation: 'sendMail' } });
      const message = await node.fails({ to: COLLEAGUE, topic: 'timed out', payload: 'x' });
      assert.match(
        message,
        /may or may not have been sent \(Graph did not answer in time; not in Sent Items/,
      );
      assert.equal(sim.counters.byOperation.sendMail, 1);
      // Graph carries the request out after the client gave up: the mail goes, once.
      await sim.idle();
      assert.deepEqual(subjectsSent(), ['timed out']);
    });

    it('reports a send that timed out as sent when Graph carried it out within the wait for Sent Items', async () => {
      helper.settings({ o365: { timeoutMs: 1000, retry: { sentItemsWaitMs: 5000 } } });
      const node = await MailOutHarness.load(sim);
      sim.slowNext(1, 2500, { match: { operation: 'sendMail' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'late but found', payload: 'x' });
      assert.match(
        String(out.o365.warnings),
        /^Graph did not answer in time, but the mail was found in Sent Items/,
      );
      assert.deepEqual(subjectsSent(), ['late but found']);
    });
  });

  describe('draft clean-up', () => {
    it('deletes the draft and reports not sent when an upload chunk fails', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(1, 500, { match: { operation: 'uploadChunk' } });
      const message = await node.fails({
        to: COLLEAGUE,
        topic: 'chunk fails',
        payload: 'x',
        attachments: big(3),
      });
      assert.match(message, /not sent: could not attach the files to the draft/);
      assert.equal(newDrafts(), 0);
      assert.deepEqual(subjectsSent(), []);
      assert.equal(sim.counters.byOperation.sendDraft, 0);
    });

    it('deletes the draft when its upload session expires midway', async () => {
      const node = await MailOutHarness.load(sim);
      sim.slowNext(1, 300, { match: { operation: 'uploadChunk' } });
      const pending = node.input({ to: COLLEAGUE, payload: 'x', attachments: big(4) });
      // The first of two chunks is on its way: expire the session before the second.
      await waitFor(() => sim.counters.byOperation.uploadChunk >= 1);
      sim.expireUploadSessions();
      const outcome = await node.outcome(pending);
      assert.equal(outcome.kind, 'error');
      assert.match(outcome.kind === 'error' ? outcome.message : '', /not sent: could not attach the files/);
      assert.equal(newDrafts(), 0);
      assert.deepEqual(subjectsSent(), []);
    });

    it('deletes the draft when /send is refused', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(1, 400, { code: 'ErrorInvalidRecipients', match: { operation: 'sendDraft' } });
      const message = await node.fails({ to: COLLEAGUE, payload: 'x', attachments: big(5) });
      assert.match(message, /not sent: .*ErrorInvalidRecipients/);
      assert.equal(newDrafts(), 0);
    });

    it('reports a draft that cannot be created as not sent', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(1, 403, { code: 'ErrorAccessDenied', match: { operation: 'createDraft' } });
      const message = await node.fails({ to: COLLEAGUE, payload: 'x', attachments: big(6) });
      assert.match(message, /not sent: could not create the draft/);
      assert.equal(newDrafts(), 0);
    });
  });

  describe('queueing', () => {
    it('starts sends in input order, four at a time, and shows the queue', async () => {
      sim.setLatency(100);
      const node = await MailOutHarness.load(sim);
      const subjects = Array.from({ length: 10 }, (_, i) => `queued-${i}`);
      const outcomes = await sendAll(node, subjects);
      assert.ok(outcomes.every((o) => o.kind === 'sent'));
      const order = subjectsSent();
      // Each group of four is in flight together; the next starts only when a slot frees.
      assert.deepEqual(new Set(order.slice(0, 4)), new Set(subjects.slice(0, 4)));
      assert.deepEqual(new Set(order.slice(4, 8)), new Set(subjects.slice(4, 8)));
      assert.deepEqual(new Set(order.slice(8)), new Set(subjects.slice(8)));
      assert.ok(sim.counters.maxInFlightByMailbox[MAILBOX] <= 4);
      assert.equal(sim.counters.throttled, 0, 'the node never exceeded the mailbox limit');
      assert.ok(node.statuses.some((s) => s.text === 'sending · 6 queued'));
      assert.deepEqual(node.statuses.at(-1), { fill: 'green', shape: 'dot', text: '10 sent' });
    });

    it('on close finishes sends in flight and fails the queued ones as not sent', async () => {
      sim.setLatency(150);
      const node = await MailOutHarness.load(sim);
      const ids = Array.from({ length: 7 }, (_, i) =>
        node.input({ to: COLLEAGUE, topic: `closing-${i}`, payload: 'x' }),
      );
      await new Promise((r) => setTimeout(r, 20));
      await node.node.close(false);
      const outcomes = await Promise.all(ids.map((id) => node.outcome(id)));
      const sent = outcomes.filter((o) => o.kind === 'sent').length;
      const refused = outcomes.filter((o) => o.kind === 'error');
      assert.equal(sent, 4, 'the four in flight finished');
      assert.equal(refused.length, 3);
      for (const o of refused)
        assert.match(o.kind === 'error' ? o.message : '', /closed before its turn; the mail was not sent/);
      assert.equal(subjectsSent().length, 4, 'nothing more went out');
    });
  });
});
