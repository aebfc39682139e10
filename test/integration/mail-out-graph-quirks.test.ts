/**
 * o365-mail-out against Graph's documented send behaviour (issue 10), in the real Node-RED runtime against the
 * simulator: at most 5 internetMessageHeaders, requests that are processed and then answered 503/504, Retry-After
 * honoured in full and bounded, the tenant's maximum message size, a request refused just under 4 MB, and the upload
 * volume per 5 minutes. Each row of the simulator's Fidelity table for sending has its case here.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../simulator';
import { COLLEAGUE, MAILBOX, MailOutHarness, mailOutSuite } from './mail-out-harness';
import { helper } from './setup';

const MB = 1024 * 1024;

function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buffer[i] = (i * 31 + seed) & 0xff;
  return buffer;
}

/** Six X- headers: one more than Graph takes. */
const SIX_HEADERS = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`X-Order-${i}`, String(i)]));

describe('o365-mail-out against Graph as it is (integration)', function () {
  this.timeout(40_000);
  const suite = mailOutSuite({
    // Quick but whole: the Sent Items check and the retry bound in seconds, not minutes.
    o365: { retry: { baseDelayMs: 50, maxDelayMs: 200, sentItemsWaitMs: 600 } },
    reset: (s) => {
      s.setMaxRequestBytes(4 * MB);
      s.setMaxMessageSize(35 * MB);
      s.setMaxMessageSize(35 * MB, MAILBOX);
      s.setUploadLimit({ bytes: 150 * MB, windowMs: 300_000 });
      s.setQuirks({ sentItemsLagMs: 0 });
    },
  });
  let sim: Simulator;
  beforeEach(() => {
    sim = suite.sim;
  });

  /** How often the simulator sent a mail with this subject during the test. */
  const timesSent = (subject: string) => suite.sentNow().filter((r) => r.message.subject === subject).length;
  const ops = (operation: keyof Simulator['counters']['byOperation']) => sim.counters.byOperation[operation];
  const big = (seed: number) => [{ filename: 'big.bin', content: bytes(5 * MB, seed) }];

  describe('at most 5 internetMessageHeaders', () => {
    it('refuses a 6th header before calling Graph, naming the limit, and sends nothing', async () => {
      const node = await MailOutHarness.load(sim);
      const message = await node.fails({ to: COLLEAGUE, topic: 'six', payload: 'x', headers: SIX_HEADERS });
      assert.match(message, /6 internet message headers/);
      assert.match(message, /at most 5/);
      assert.match(message, /nothing was sent/);
      assert.equal(sim.counters.graphRequests, 0, 'Graph was not asked');
      assert.equal(timesSent('six'), 0);
    });

    it('counts only the headers it sends: five X- headers and a dropped one go out', async () => {
      const node = await MailOutHarness.load(sim);
      const headers = { ...SIX_HEADERS, 'Reply-By': 'tomorrow' };
      delete (headers as Record<string, string>)['X-Order-6'];
      const out = await node.sent({ to: COLLEAGUE, topic: 'five', payload: 'x', headers });
      assert.equal(out.o365.warnings?.length, 1, 'the non-X- header was dropped with a warning');
      assert.equal(timesSent('five'), 1);
    });
  });

  describe('processed, then answered 503 or 504', () => {
    it('sendMail answered 503 after sending: found in Sent Items, reported sent, never sent again', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failAfterNext(1, 503, { retryAfter: 1, match: { operation: 'sendMail' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'processed 503', payload: 'x' });
      assert.equal(out.o365.sent, true);
      assert.equal(ops('sendMail'), 1, 'one sendMail only');
      assert.equal(timesSent('processed 503'), 1);
    });

    it('sendMail answered 504 after sending: found in Sent Items and reported sent', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failAfterNext(1, 504, { match: { operation: 'sendMail' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'processed 504', payload: 'x' });
      assert.match(String(out.o365.warnings), /found in Sent Items/);
      assert.equal(ops('sendMail'), 1);
      assert.equal(timesSent('processed 504'), 1);
    });

    it('Sent Items lags: looks again within the wait, finds the copy filed late, reports sent', async () => {
      helper.settings({ o365: { retry: { sentItemsWaitMs: 4000 } } });
      sim.setQuirks({ sentItemsLagMs: 1200 });
      const node = await MailOutHarness.load(sim);
      sim.failAfterNext(1, 504, { match: { operation: 'sendMail' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'filed late', payload: 'x' });
      assert.match(String(out.o365.warnings), /found in Sent Items/);
      assert.ok(ops('listMessages') >= 3, 'not there at first: looked again');
      assert.equal(ops('sendMail'), 1);
      assert.equal(timesSent('filed late'), 1);
    });

    it('sendMail answered 503 without sending: not in Sent Items, so "may or may not", never repeated', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(1, 503, { match: { operation: 'sendMail' } });
      const message = await node.fails({ to: COLLEAGUE, topic: 'unclear 503', payload: 'x' });
      assert.match(message, /may or may not have been sent/);
      assert.match(message, /not in Sent Items/);
      assert.equal(ops('sendMail'), 1, 'never repeated blind');
      assert.ok(ops('listMessages') >= 2, 'Sent Items was looked at more than once (it lags)');
    });

    it('with save off there is no Sent Items copy to look for: "may or may not", once', async () => {
      const node = await MailOutHarness.load(sim, { save: false });
      sim.failAfterNext(1, 504, { match: { operation: 'sendMail' } });
      const message = await node.fails({ to: COLLEAGUE, topic: 'unsaved 504', payload: 'x' });
      assert.match(message, /may or may not have been sent/);
      assert.equal(ops('sendMail'), 1);
      assert.equal(timesSent('unsaved 504'), 1);
    });

    it('draft /send answered 503 after sending: the draft is gone, so it went; reported sent, once', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failAfterNext(1, 503, { retryAfter: 1, match: { operation: 'sendDraft' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'draft 503', payload: 'x', attachments: big(1) });
      assert.equal(out.o365.path, 'draft');
      assert.equal(ops('sendDraft'), 1, 'not sent again');
      assert.equal(timesSent('draft 503'), 1);
    });

    it('draft /send answered 504 without sending: still a draft, so /send of that draft is repeated', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failNext(1, 504, { match: { operation: 'sendDraft' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'draft 504', payload: 'x', attachments: big(2) });
      assert.equal(out.o365.path, 'draft');
      assert.ok(ops('getMessage') >= 1, 'the draft was read before repeating');
      assert.equal(ops('sendDraft'), 2);
      assert.equal(timesSent('draft 504'), 1);
      assert.equal(sim.messages(MAILBOX, 'drafts').length, 0);
    });

    it('createDraft answered 503 after making the draft: made again, sent once, and no stray draft left in Drafts', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failAfterNext(1, 503, { retryAfter: 0, match: { operation: 'createDraft' } });
      const out = await node.sent({
        to: COLLEAGUE,
        topic: 'draft made twice',
        payload: 'x',
        attachments: big(3),
      });
      assert.equal(out.o365.path, 'draft');
      assert.equal(ops('createDraft'), 2, 'Graph was asked twice for the draft');
      assert.equal(timesSent('draft made twice'), 1);
      assert.deepEqual(
        sim.messages(MAILBOX, 'drafts').map((m) => m.subject),
        [],
        'the draft the first request made is gone',
      );
    });

    it('createDraft answered 504 after making the draft: not sent (true), and the draft Graph made is not left in Drafts', async () => {
      const node = await MailOutHarness.load(sim);
      sim.failAfterNext(1, 504, { match: { operation: 'createDraft' } });
      const message = await node.fails({
        to: COLLEAGUE,
        topic: 'draft unclear',
        payload: 'x',
        attachments: big(4),
      });
      assert.match(message, /not sent/);
      assert.equal(ops('createDraft'), 1, 'not asked again blind');
      assert.equal(timesSent('draft unclear'), 0);
      assert.deepEqual(
        sim.messages(MAILBOX, 'drafts').map((m) => m.subject),
        [],
        'the draft Graph made is gone',
      );
    });
  });

  describe('Retry-After', () => {
    it('waits the whole Retry-After, also beyond the longest backoff of its own (maxDelayMs)', async () => {
      const node = await MailOutHarness.load(sim);
      sim.throttleNext(1, { retryAfter: 2, match: { operation: 'sendMail' } });
      await node.sent({ to: COLLEAGUE, topic: 'patient', payload: 'x' });
      const attempts = sim.requests.filter((r) => r.operation === 'sendMail');
      assert.equal(attempts.length, 2);
      const waited = attempts[1].at.getTime() - attempts[0].at.getTime();
      assert.ok(waited >= 1950, `waited ${waited} ms of Retry-After: 2`);
      assert.ok(node.statuses.some((s) => s.text === 'throttled, retrying in 2s'));
    });

    it('fails at once, saying so, when Graph asks for a longer wait than the bound in settings.js', async () => {
      helper.settings({ o365: { retry: { maxTotalDelayMs: 1500 } } });
      const node = await MailOutHarness.load(sim);
      sim.throttleNext(1, { retryAfter: 30, match: { operation: 'sendMail' } });
      const started = Date.now();
      const message = await node.fails({ to: COLLEAGUE, topic: 'impatient', payload: 'x' });
      assert.ok(Date.now() - started < 1500, 'no early retry and no pointless wait');
      assert.match(message, /not sent/);
      assert.match(message, /asked to wait 30 s/);
      assert.match(message, /maxTotalDelayMs/);
      assert.equal(ops('sendMail'), 1);
    });
  });

  describe("the tenant's limits", () => {
    it('refuses a mail over the maximum message size before uploading anything', async () => {
      helper.settings({ o365: { maxMessageSizeMB: 2 } });
      sim.setMaxMessageSize(2 * MB);
      const node = await MailOutHarness.load(sim);
      const message = await node.fails({
        to: COLLEAGUE,
        topic: 'too big',
        payload: 'x',
        attachments: [{ filename: 'big.bin', content: bytes(3 * MB, 3) }],
      });
      assert.match(message, /maximum message size of 2 MB/);
      assert.match(message, /MaxSendSize/);
      assert.match(message, /nothing was sent/);
      assert.equal(sim.counters.graphRequests, 0, 'no draft, no upload');
    });

    it('names the limit and what an admin can change when Graph refuses the size (ErrorMessageSizeExceeded)', async () => {
      sim.setMaxMessageSize(1 * MB, MAILBOX);
      const node = await MailOutHarness.load(sim);
      const message = await node.fails({
        to: COLLEAGUE,
        topic: 'over MaxSendSize',
        payload: 'x',
        attachments: [{ filename: 'scan.pdf', content: bytes(900 * 1024, 4) }],
      });
      assert.match(message, /maximum message size/);
      assert.match(message, /MaxSendSize/);
      assert.match(message, /ErrorMessageSizeExceeded/);
      assert.equal(timesSent('over MaxSendSize'), 0);
    });

    it('keeps a margin under 4 MB: a request Graph refuses just under 4 MiB goes by draft instead', async () => {
      sim.setMaxRequestBytes(4_000_000);
      const node = await MailOutHarness.load(sim);
      // About 4.05 MB of JSON in one sendMail: under 4 MiB, over what this Graph takes.
      const attachment = { filename: 'report.pdf', content: bytes(3_035_000, 5) };
      const out = await node.sent({
        to: COLLEAGUE,
        topic: 'near 4 MB',
        payload: 'x',
        attachments: [attachment],
      });
      assert.equal(out.o365.path, 'draft');
      assert.equal(
        sim.requests.filter((r) => r.status === 413).length,
        0,
        'no request was refused as too large',
      );
      assert.equal(timesSent('near 4 MB'), 1);
    });

    it('paces uploads within the window per app and mailbox, showing the wait, without a 429', async () => {
      const window = { bytes: 12 * MB, windowMs: 3000 };
      sim.setUploadLimit(window);
      helper.settings({ o365: { uploadLimit: window, retry: { maxTotalDelayMs: 10_000 } } });
      const node = await MailOutHarness.load(sim);
      const ids = [1, 2, 3].map((i) =>
        node.input({ to: COLLEAGUE, topic: `paced ${i}`, payload: 'x', attachments: big(10 + i) }),
      );
      const outcomes = await Promise.all(ids.map((id) => node.outcome(id, 30_000)));
      assert.deepEqual(
        outcomes.map((o) => (o.kind === 'error' ? o.message : o.kind)),
        ['sent', 'sent', 'sent'],
      );
      assert.equal(sim.counters.throttled, 0, 'Graph never had to refuse an upload');
      assert.ok(
        node.statuses.some((s) => /^throttled, retrying in \d+s$/.test(s.text ?? '')),
        'the wait for the window was shown',
      );
      for (const i of [1, 2, 3]) assert.equal(timesSent(`paced ${i}`), 1);
    });
  });
});
