/**
 * Property: whatever shape a message has, o365-mail-out either sends one schema-valid mail or fails with a clear
 * error that says nothing was sent; it never crashes, never sends on error, never sends twice.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startSimulator, type Simulator } from '../simulator';
import { COLLEAGUE, MAILBOX, MailOutHarness } from './mail-out-harness';
import { helper } from './setup';

/** Mostly good values, sometimes bad ones: both outcomes must be reached often. */
function mostly<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: good, weight: 10 }, { arbitrary: bad, weight: 1 });
}

const goodAddress = fc.constantFrom(
  COLLEAGUE,
  'ann@fabrikam.example',
  'Bob <bob@fabrikam.example>',
  '"Doe, Jo" <jo@fabrikam.example>',
);
const address = mostly(goodAddress, fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })));
const recipients = mostly(
  fc.oneof(
    address,
    fc.array(address, { minLength: 1, maxLength: 4 }),
    fc.array(
      fc.record({ name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }), address: goodAddress }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    address.map((a) => `${a}; ${COLLEAGUE}, `),
  ),
  fc.constantFrom(undefined, null, '', 42, true, {}, [[]]),
);
const content = mostly(
  fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.constant({ type: 'Buffer', data: [1, 2, 3] }),
  ),
  fc.constantFrom(null, undefined, 7, { type: 'Buffer', data: [999] }, 'not hex!'),
);
const attachment = fc
  .record(
    {
      filename: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('../../etc/passwd', 'a.pdf', 'pic.png', ''),
      ),
      content,
      encoding: mostly(
        fc.constantFrom('utf8', 'latin1', 'binary'),
        fc.constantFrom('rot13', 'base64', 'hex'),
      ),
      contentType: fc.constantFrom('text/plain', 'image/png', ''),
      cid: fc.string({ maxLength: 8 }),
      path: fc.constant('/etc/hosts'),
    },
    { requiredKeys: ['content', 'filename'] },
  )
  .map((a) => {
    // A file path is always refused; keep it rare so the other shapes get their turn.
    if (a.path !== undefined && a.filename.length % 4 !== 0) delete a.path;
    return a;
  });
const message = fc.record(
  {
    to: recipients,
    cc: fc.oneof(recipients, fc.constant(undefined)),
    bcc: fc.oneof(recipients, fc.constant(undefined)),
    topic: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer(),
      fc.constantFrom(undefined, null, 'line\r\nbreak'),
    ),
    payload: fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom('<p>Hello <b>there</b></p>', 'a < b', ''),
      fc.integer(),
      fc.boolean(),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
      fc.constantFrom(null, undefined),
    ),
    filename: fc.oneof(fc.string({ maxLength: 12 }), fc.constant('r.pdf')),
    attachments: mostly(fc.array(attachment, { maxLength: 3 }), fc.constantFrom('nope', 5, null)),
    importance: mostly(fc.constantFrom('low', 'Normal', 'HIGH'), fc.constantFrom('urgent', 2, '')),
    priority: mostly(fc.constantFrom('1', 3, 'low', 5), fc.constantFrom('soon', 9)),
    replyTo: recipients,
    from: mostly(
      fc.constantFrom(MAILBOX, 'Shared <shared@contoso.example>'),
      fc.constantFrom('ceo@contoso.example', 'x@', 'a@b.example, c@d.example'),
    ),
    headers: mostly(
      fc.dictionary(
        fc.constantFrom('X-Order', 'x-flow', 'Subject', 'X-Bad Name', 'X-Line'),
        fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant('a\r\nb')),
      ),
      fc.constantFrom('X-Order: 1', [1, 2]),
    ),
  },
  { requiredKeys: ['to'] },
);

describe('o365-mail-out with random messages (property, integration)', function () {
  this.timeout(120_000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX, COLLEAGUE] });
    await helper.startServer();
  });
  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim?.stop();
  });

  it('sends one schema-valid mail or fails clearly, for any message shape', async () => {
    sim.grantSendAs(MAILBOX, 'shared@contoso.example');
    const node = await MailOutHarness.load(sim);
    const seen = { sent: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(message, async (msg) => {
        const before = sim.sent.length;
        const outcome = await node.run(msg as Record<string, unknown>);
        if (outcome.kind === 'sent') {
          seen.sent++;
          assert.equal(sim.sent.length, before + 1, 'exactly one mail went');
          const o365 = outcome.msg.o365 as { sent: boolean; path: string };
          assert.equal(o365.sent, true);
          assert.equal(o365.path, 'sendMail');
        } else {
          seen.failed++;
          assert.equal(sim.sent.length, before, 'nothing went on error');
          // Bad input says so; Graph refusals say "not sent". Never a raw crash, never "may or may not".
          assert.match(outcome.message, /; nothing was sent$|^mail to .+ not sent: /);
        }
        assert.deepEqual(sim.schemaViolations, []);
      }),
      { numRuns: 150 },
    );
    // The generators reach both outcomes, or the property proves little.
    assert.ok(seen.sent > 5, `only ${seen.sent} sent`);
    assert.ok(seen.failed > 5, `only ${seen.failed} failed`);
  });
});
