/**
 * Sending against Graph's send-side behaviour (issue 10): requests that are processed and then answered 503/504,
 * Retry-After longer than the client's own backoff cap, the 5-header limit, the maximum message size and a request
 * refused just under 4 MB. All but the size check need the simulator's faults.
 */
import { strict as assert } from 'node:assert';
import { buildOutgoingMail } from '../../../src/mail/outbound';
import type { Scenario, Target } from '../harness';

function mail(t: Target, subject: string, headers?: Record<string, string>) {
  return buildOutgoingMail({
    subject: t.tag(subject),
    to: t.mailbox,
    cc: undefined,
    bcc: undefined,
    payload: subject,
    bodyType: 'text',
    headers,
  });
}

/** How often the simulator sent a mail with this (tagged) subject. */
function timesSent(t: Target, subject: string): number {
  return (t.inject?.sent ?? []).filter((s) => s.message.subject === t.tag(subject)).length;
}

export const scenarios: Scenario[] = [
  {
    name: 'sendMail processed, then answered 504: found in Sent Items, reported sent, never repeated',
    requires: ['faults'],
    async run(t) {
      t.inject?.failAfterNext(1, 504, { match: { operation: 'sendMail' } });
      const result = await t.sender().send(mail(t, 'processed then 504'), true);
      assert.match(result.warnings.join(' '), /found in Sent Items: it was sent once/);
      assert.equal(timesSent(t, 'processed then 504'), 1);
    },
  },
  {
    name: 'sendMail with save off processed, then answered 504: "may or may not have been sent", never repeated',
    requires: ['faults'],
    async run(t) {
      t.inject?.failAfterNext(1, 504, { match: { operation: 'sendMail' } });
      await assert.rejects(
        t.sender().send(mail(t, 'unsaved then 504'), false),
        /may or may not have been sent/,
      );
      assert.equal(timesSent(t, 'unsaved then 504'), 1);
    },
  },
  {
    name: 'sendMail processed, then answered 503: the mail goes out once',
    requires: ['faults'],
    async run(t) {
      t.inject?.failAfterNext(1, 503, { match: { operation: 'sendMail' } });
      await t
        .sender()
        .send(mail(t, 'processed then 503'), true)
        .catch(() => undefined);
      assert.equal(timesSent(t, 'processed then 503'), 1);
    },
  },
  {
    name: 'draft /send processed, then answered 503: the mail goes out once',
    requires: ['faults'],
    async run(t) {
      t.inject?.failAfterNext(1, 503, { match: { operation: 'sendDraft' } });
      await t
        .sender()
        .send(bigMail(t, 'draft processed then 503'), true)
        .catch(() => undefined);
      assert.equal(timesSent(t, 'draft processed then 503'), 1);
    },
  },
  {
    name: 'draft /send answered 504 without sending: /send of the same draft again, sent once',
    requires: ['faults'],
    async run(t) {
      t.inject?.failNext(1, 504, { match: { operation: 'sendDraft' } });
      const result = await t.sender().send(bigMail(t, 'draft 504 unsent'), true);
      assert.equal(result.path, 'draft');
      assert.equal(timesSent(t, 'draft 504 unsent'), 1);
    },
  },
  {
    name: 'createDraft processed, then answered 503: sent once, no stray draft left in Drafts',
    requires: ['faults'],
    async run(t) {
      t.inject?.failAfterNext(1, 503, { retryAfter: 0, match: { operation: 'createDraft' } });
      const result = await t.sender().send(bigMail(t, 'draft made twice'), true);
      assert.equal(result.path, 'draft');
      assert.equal(timesSent(t, 'draft made twice'), 1);
      const left = await t.list('drafts');
      assert.deepEqual(
        left.filter((m) => m.subject === t.tag('draft made twice')),
        [],
        'no draft of the mail stays in Drafts',
      );
    },
  },
  {
    name: 'Retry-After is honoured in full, also beyond the client backoff cap',
    requires: ['faults'],
    async run(t) {
      const sim = t.inject!;
      sim.resetCounters();
      sim.throttleNext(1, { retryAfter: 2, match: { operation: 'sendMail' } });
      await t.sender().send(mail(t, 'retry after 2 s'), true);
      const attempts = sim.requests.filter((r) => r.operation === 'sendMail');
      assert.equal(attempts.length, 2);
      const waited = attempts[1].at.getTime() - attempts[0].at.getTime();
      assert.ok(waited >= 1900, `the retry waited ${waited} ms of the 2 s Retry-After`);
    },
  },
  {
    name: 'a 6th internetMessageHeader is refused before calling Graph, naming the limit',
    requires: ['faults'],
    async run(t) {
      const sim = t.inject!;
      sim.resetCounters();
      const headers = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`X-Custom-${i}`, String(i)]));
      await assert.rejects(t.sender().send(mail(t, 'six headers', headers), true), /at most 5/);
      assert.equal(sim.counters.byOperation.sendMail, 0, 'Graph was not asked');
    },
  },
  {
    name: 'a mail over the default maximum message size (35 MB) is refused before any request',
    async run(t) {
      const huge = buildOutgoingMail({
        subject: t.tag('over 35 MB'),
        to: t.mailbox,
        cc: undefined,
        bcc: undefined,
        payload: 'x',
        bodyType: 'text',
        attachments: [{ filename: 'huge.bin', content: Buffer.alloc(27 * 1024 * 1024, 1) }],
      });
      t.inject?.resetCounters();
      await assert.rejects(t.sender().send(huge, true), /maximum message size of 35 MB/);
      if (t.inject) assert.equal(t.inject.counters.graphRequests, 0, 'nothing was uploaded');
    },
  },
  {
    name: 'a request refused just under 4 MiB never happens: the node keeps a margin and goes by draft',
    requires: ['faults'],
    async run(t) {
      const sim = t.inject!;
      sim.setMaxRequestBytes(4_000_000);
      try {
        const near = buildOutgoingMail({
          subject: t.tag('near 4 MB'),
          to: t.mailbox,
          cc: undefined,
          bcc: undefined,
          payload: 'x',
          bodyType: 'text',
          attachments: [{ filename: 'report.pdf', content: Buffer.alloc(3_035_000, 2) }],
        });
        const result = await t.sender().send(near, true);
        assert.equal(result.path, 'draft');
        assert.equal(timesSent(t, 'near 4 MB'), 1);
      } finally {
        sim.setMaxRequestBytes(4 * 1024 * 1024);
      }
    },
  },
];

/** A mail that goes by draft and upload session (a 5 MB attachment). */
function bigMail(t: Target, subject: string) {
  return buildOutgoingMail({
    subject: t.tag(subject),
    to: t.mailbox,
    cc: undefined,
    bcc: undefined,
    payload: 'x',
    bodyType: 'text',
    attachments: [{ filename: 'big.bin', content: Buffer.alloc(5 * 1024 * 1024, 7) }],
  });
}
