/**
 * o365-mail-in against Graph's documented receive quirks (issue 10, test/simulator/README.md "Quirks and tenant
 * limits"), in the real Node-RED runtime: partial and unordered delta rounds, stale links (also across a restart with
 * a persistent context store), `$search`'s filter, lag and cap, large pages that time out, clouds without message
 * delta, claims whatever a move does to lastModifiedDateTime, and item attachments that are contacts or events.
 */
import { strict as assert } from 'node:assert';
import { startSimulator, type Simulator } from '../simulator';
import { loadOne, MAILBOX } from './mail-in-harness';
import { helper } from './setup';

describe('o365-mail-in against Graph quirks', function () {
  this.timeout(60_000);
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({ o365: undefined, contextStorage: undefined });
    const violations = sim.schemaViolations;
    await sim.stop();
    assert.deepEqual(violations, [], 'requests and answers follow the Graph schemas');
  });

  describe('item attachments', () => {
    it('names and types an attached contact .vcf text/vcard and an attached event .ics text/calendar', async () => {
      sim.addMessage(MAILBOX, 'inbox', {
        subject: 'card, meeting and mail',
        attachments: [
          {
            kind: 'contact',
            name: 'Alex Wilbur',
            contact: { displayName: 'Alex Wilbur', email: 'alex@contoso.example' },
          },
          {
            kind: 'event',
            name: 'Review',
            event: { subject: 'Review', start: '2030-04-09T14:00:00Z', end: '2030-04-09T16:00:00Z' },
          },
          { kind: 'item', name: 'Forwarded', message: { subject: 'inner' } },
        ],
      });
      const node = await loadOne(sim);
      await node.poll();
      const attachments = node.messages[0].attachments as {
        filename: string;
        contentType: string;
        content: Buffer;
      }[];
      assert.deepEqual(
        attachments.map((a) => [a.filename, a.contentType]),
        [
          ['Alex Wilbur.vcf', 'text/vcard'],
          ['Review.ics', 'text/calendar'],
          ['Forwarded.eml', 'message/rfc822'],
        ],
      );
      assert.match(attachments[0].content.toString(), /^BEGIN:VCARD/);
      assert.match(attachments[1].content.toString(), /^BEGIN:VCALENDAR/);
    });
  });
});
