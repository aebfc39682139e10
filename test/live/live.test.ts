/**
 * Live test against a real Microsoft 365 tenant. Runs only when O365_TENANT_ID, O365_CLIENT_ID, O365_CLIENT_SECRET
 * and O365_MAILBOX are set (O365_CLOUD optional); otherwise it is skipped and says so.
 * It sends one mail from the mailbox to itself, waits for it in the inbox, reads it as the mail-in node would and
 * deletes it.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Connection } from '../../src/graph/connection';
import { testConnection } from '../../src/graph/diagnose';
import { mapInboundMessage, MESSAGE_SELECT } from '../../src/mail/inbound';
import { buildOutgoingMail, sendMailRequestBody } from '../../src/mail/outbound';
import { odataString } from '../../src/graph/odata';

const NEEDED = ['O365_TENANT_ID', 'O365_CLIENT_ID', 'O365_CLIENT_SECRET', 'O365_MAILBOX'];
const missing = NEEDED.filter((name) => !process.env[name]);

describe('live Microsoft 365 tenant', function () {
  this.timeout(180_000);
  before(function () {
    if (missing.length > 0) {
      console.log(`    live test skipped: set ${missing.join(', ')} to run it against a real tenant`);
      this.skip();
    }
  });

  const settings = () => ({
    tenantId: process.env.O365_TENANT_ID,
    applicationId: process.env.O365_CLIENT_ID,
    clientSecret: process.env.O365_CLIENT_SECRET,
    cloud: process.env.O365_CLOUD || 'global',
  });
  const mailbox = () => process.env.O365_MAILBOX as string;

  it('gets a token carrying Mail.ReadWrite and Mail.Send, and reaches the mailbox', async () => {
    const report = await testConnection(settings(), mailbox());
    assert.equal(report.token.ok, true, JSON.stringify(report.token));
    assert.ok(
      report.checks.every((c) => c.ok),
      JSON.stringify(report.checks),
    );
    assert.equal(report.mailbox?.ok, true, JSON.stringify(report.mailbox));
  });

  it('sends a mail to itself, finds it in the inbox, maps it and deletes it', async () => {
    const connection = new Connection(settings());
    const api = connection.mailbox(mailbox());
    const subject = `node-red-o365-mail live test ${randomUUID()}`;
    const mail = buildOutgoingMail({
      subject,
      to: mailbox(),
      cc: undefined,
      bcc: undefined,
      payload: '<p>live test</p>',
      bodyType: 'auto',
      attachments: [{ filename: 'hello.txt', content: 'hello' }],
    });
    await api.sendMail(sendMailRequestBody(mail, false));
    const inbox = await api.resolveFolder('inbox');
    let found: Record<string, unknown> | undefined;
    const deadline = Date.now() + 150_000;
    while (!found && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5000));
      for await (const page of api.listMessages(inbox, {
        select: MESSAGE_SELECT,
        filter: `subject eq ${odataString(subject)}`,
        top: 10,
        bodyFormat: 'html',
        expandAttachments: true,
      })) {
        found = page.value[0];
        break;
      }
    }
    assert.ok(found, 'the mail arrived within 150 s');
    const msg = mapInboundMessage(found, (found.attachments as object[]) ?? [], {
      mailbox: mailbox(),
      folder: 'inbox',
      bodyFormat: 'html',
      attachments: true,
    });
    assert.equal(msg.topic, subject);
    assert.equal(msg.attachments[0]?.content?.toString(), 'hello');
    await api.deleteMessage(String(found.id));
    connection.close();
  });
});
