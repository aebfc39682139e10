/** A mail with an attachment over 4 MB goes by draft and upload session: it arrives once, whole, one Sent Items copy. */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { buildOutgoingMail } from '../../../src/mail/outbound';
import type { Scenario } from '../harness';

export const scenario: Scenario = {
  name: 'upload session: a 5 MB attachment is sent once and arrives whole',
  timeoutMs: 300_000,
  async run(t) {
    const subject = t.tag('upload session');
    const content = randomBytes(5 * 1024 * 1024);
    const mail = buildOutgoingMail({
      subject,
      to: t.mailbox,
      cc: undefined,
      bcc: undefined,
      payload: 'large attachment',
      bodyType: 'text',
      attachments: [{ filename: 'large.bin', content }],
    });
    const result = await t.sender().send(mail, true);
    assert.equal(result.path, 'draft', 'over 4 MB goes by draft and upload session');
    const received = await t.waitFor('the mail to arrive', async () => {
      const found = (await t.tagged('inbox')).filter((m) => m.subject === subject);
      return found.length ? found : undefined;
    });
    assert.equal(received.length, 1, 'it arrived once');
    const attachments = await t.api.listAttachments(received[0].id);
    assert.equal(attachments.length, 1);
    const bytes = await t.api.attachmentValue(received[0].id, String(attachments[0].id));
    assert.equal(bytes.length, content.length);
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      createHash('sha256').update(content).digest('hex'),
    );
    const copies = await t.waitFor('the Sent Items copy', async () => {
      const found = (await t.tagged('sentitems')).filter((m) => m.subject === subject);
      return found.length ? found : undefined;
    });
    assert.equal(copies.length, 1, 'one copy in Sent Items');
    if (t.inject)
      assert.equal(t.inject.sent.filter((s) => s.message.subject === subject).length, 1, 'sent once');
  },
};
