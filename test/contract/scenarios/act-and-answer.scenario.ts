/**
 * Acting on mail (issue 12) against the simulator and, with the O365_* variables, a real tenant: a reply to a mail
 * that moved after it arrived (found by its internetMessageId) stays in the original's conversation with the text
 * above the quote; a raw MIME mail with bare LF line ends and 8-bit text in its subject arrives as meant; the
 * mail-action engine marks read (a burst, coalesced), flags, categorizes, copies, moves and deletes. These are what a
 * real tenant can contradict the simulator on, so they run on both.
 */
import { strict as assert } from 'node:assert';
import { MailActor, type ActionRequest } from '../../../src/act';
import { buildOutgoingMail } from '../../../src/mail/outbound';
import { prepareMime } from '../../../src/mail/mime';
import type { Scenario, Target } from '../harness';

/** The first mail of the inbox that arrived during this run with exactly this subject. */
async function arrived(t: Target, subject: string): Promise<string> {
  const found = await t.waitFor(`"${subject}" in the inbox`, async () =>
    (await t.list('inbox', `receivedDateTime ge ${t.startedAt}`)).find((m) => m.subject === subject),
  );
  return found.id;
}

async function only(t: Target, folder: string, subject: string): Promise<string> {
  const found = (await t.list(folder)).filter((m) => m.subject === subject);
  assert.equal(found.length, 1, `one "${subject}" in ${folder}`);
  return found[0].id;
}

const request = (op: Partial<ActionRequest> & Pick<ActionRequest, 'operation' | 'mail'>): ActionRequest => ({
  categoryMode: 'add',
  read: { bodyFormat: 'text', attachments: false, output: 'message' },
  ...op,
});

export const scenarios: Scenario[] = [
  {
    name: 'reply to a mail that moved: found by its internetMessageId, in its conversation, the text above the quote',
    timeoutMs: 300_000,
    async run(t) {
      const folder = await t.folder('answer');
      const moved = await t.folder('answer-moved');
      const [subject] = await t.seed(folder, [{ subject: 'question', body: 'What is the price?' }]);
      const id = await only(t, folder, subject);
      const original = await t.api.getMessage(id, ['internetMessageId', 'conversationId'], 'text');
      await t.api.move(id, await t.api.resolveFolder(moved));
      const mail = buildOutgoingMail({
        subject: '',
        to: undefined,
        cc: undefined,
        bcc: undefined,
        payload: 'The price is 42.',
        bodyType: 'text',
        mode: 'reply',
      });
      const result = await t
        .sender()
        .answer(
          { mode: 'reply', original: { id, internetMessageId: String(original.internetMessageId) } },
          mail,
          false,
        );
      assert.equal(result.path, 'draft');
      // The seeded mail came from the mailbox itself, so the reply comes back to it.
      const answerId = await arrived(t, `RE: ${subject}`);
      const answer = await t.api.getMessage(answerId, ['conversationId', 'body'], 'text');
      assert.equal(answer.conversationId, original.conversationId, 'in the same conversation');
      const body = String((answer.body as { content?: string }).content);
      assert.ok(body.indexOf('The price is 42.') >= 0, 'the text is there');
      assert.ok(body.indexOf('The price is 42.') < body.indexOf('What is the price?'), 'above the quote');
      await t.api.deleteMessage(answerId);
    },
  },
  {
    name: 'a raw MIME mail with bare LF line ends and 8-bit text in the subject arrives as meant',
    timeoutMs: 300_000,
    async run(t) {
      const subject = t.tag('MIME für dich');
      const text = [
        `From: ${t.mailbox}`,
        `To: ${t.mailbox}`,
        `Subject: ${subject}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Relayed as it is.',
        '',
      ].join('\n');
      const mime = prepareMime(Buffer.from(text, 'utf8'), t.mailbox);
      assert.equal(mime.repairs.length, 2, mime.repairs.join('; '));
      const result = await t.sender().sendMime(mime, false);
      assert.equal(result.path, 'sendMail');
      const id = await arrived(t, subject);
      const got = await t.api.getMessage(id, ['subject', 'body'], 'text');
      assert.equal(got.subject, subject);
      assert.match(String((got.body as { content?: string }).content), /Relayed as it is\./);
    },
  },
  {
    name: 'mail action: a burst marked read, then flag, categorize, copy, move and delete, each where Graph put it',
    timeoutMs: 300_000,
    async run(t) {
      const folder = await t.folder('act');
      const done = await t.folder('act-done');
      const subjects = await t.seed(folder, [
        { subject: 'act 1' },
        { subject: 'act 2' },
        { subject: 'act 3' },
      ]);
      const ids = await Promise.all(subjects.map((s) => only(t, folder, s)));
      const actor = new MailActor(t.connection.mailbox(t.mailbox));
      try {
        const read = await Promise.all(
          ids.map((id) => actor.act(request({ operation: 'markRead', mail: { id } }))),
        );
        assert.ok(read.every((r) => r.isRead === true));
        assert.ok(
          (await t.list(folder)).every((m) => m.isRead),
          'all three read',
        );

        const flagged = await actor.act(request({ operation: 'flag', mail: { id: ids[0] } }));
        assert.equal(flagged.flagStatus, 'flagged');
        const categorized = await actor.act(
          request({ operation: 'categorize', mail: { id: ids[0] }, categories: ['Contract'] }),
        );
        assert.deepEqual(categorized.categories, ['Contract']);
        const first = await t.api.getMessage(ids[0], ['flag', 'categories'], 'text');
        assert.equal((first.flag as { flagStatus?: string }).flagStatus, 'flagged');
        assert.deepEqual(first.categories, ['Contract']);

        const copy = await actor.act(request({ operation: 'copy', mail: { id: ids[1] }, target: done }));
        assert.notEqual(copy.id, ids[1]);
        const move = await actor.act(request({ operation: 'move', mail: { id: ids[2] }, target: done }));
        assert.notEqual(move.id, ids[2]);
        assert.deepEqual(
          (await t.list(done)).map((m) => m.id).sort(),
          [copy.id, move.id].sort(),
          'the copy and the moved mail are in the destination',
        );
        assert.deepEqual(
          (await t.list(folder)).map((m) => m.subject).sort(),
          [subjects[0], subjects[1]].sort(),
          'the copied mail stays, the moved one left',
        );

        const deleted = await actor.act(request({ operation: 'delete', mail: { id: ids[0] } }));
        assert.equal(deleted.deleted, true);
        assert.ok(!(await t.list(folder)).some((m) => m.id === ids[0]), 'the deleted mail left the folder');
      } finally {
        await actor.close();
      }
    },
  },
];
