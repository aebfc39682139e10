/**
 * Oversized and odd input: a 200 MB payload, 10,000 recipients, binary subjects, deeply nested payloads, attachments
 * without a name or with a path in it, CR/LF in subjects, names and headers. Each gives a clear error or a safe,
 * schema-valid request, never a crash or a hang; the same node sends a normal mail afterwards.
 */
import { strict as assert } from 'node:assert';
import type { Simulator } from '../simulator';
import {
  loadReceivers,
  loadSender,
  SendOutcome,
  waitFor,
  FAST_TUNING,
  nodeRedSuite,
} from '../reliability/support';

const SENDER = 'sender@contoso.example';
const COLLEAGUE = 'colleague@contoso.example';

interface HostileCase {
  msg: () => Record<string, unknown>;
  /** A clear error saying what is wrong, or undefined when the mail may go out (checked by `sent`). */
  error?: RegExp;
  /** Checks on the mail Graph received. */
  sent?: (message: { subject: string; attachments: { name: string }[]; toRecipients: unknown[] }) => void;
  warns?: RegExp;
  /** The error reaches the log, not Catch nodes (Node-RED cannot copy the message). */
  uncatchable?: boolean;
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const CRLF_FREE = (s: string) => assert.ok(!/[\r\n]/.test(s), `no line break in ${JSON.stringify(s)}`);

const CASES: Record<string, HostileCase> = {
  'a 200 MB payload': {
    msg: () => ({ to: COLLEAGUE, topic: 'huge', payload: 'x'.repeat(200 * 1024 * 1024) }),
    error: /more than the maximum message size of 35 MB set for the tenant .*; nothing was sent$/,
  },
  '10,000 recipients': {
    msg: () => ({
      to: Array.from({ length: 10_000 }, (_, i) => `r${i}@contoso.example`),
      topic: 'many',
      payload: 'x',
    }),
    error: /too many recipients: 10000, more than the 500 Graph allows per mail; nothing was sent/,
  },
  'a binary subject (Buffer of every byte)': {
    msg: () => ({
      to: COLLEAGUE,
      topic: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      payload: 'x',
    }),
    sent: (m) => {
      CRLF_FREE(m.subject);
      const controls = [...m.subject].filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
      assert.deepEqual(controls, [], 'no control characters');
    },
  },
  'a subject with NUL, lone surrogates and RTL overrides': {
    msg: () => ({ to: COLLEAGUE, topic: 'a\u0000b\ud800c\u202ed', payload: 'x' }),
    sent: (m) => assert.ok(!m.subject.includes('\u0000')),
  },
  // Node-RED cannot copy this message for Catch nodes (its clone recurses too deep): the error is logged instead.
  'a payload nested 10,000 deep': {
    msg: () => ({ to: COLLEAGUE, topic: 'deep', payload: nested(10_000) }),
    error: /payload cannot be converted to JSON for the mail body: Maximum call stack/,
    uncatchable: true,
  },
  'a payload with a cycle': {
    msg: () => {
      const payload: Record<string, unknown> = { name: 'loop' };
      payload.self = payload;
      return { to: COLLEAGUE, topic: 'cycle', payload };
    },
    error: /payload cannot be converted to JSON for the mail body: Converting circular structure/,
  },
  'attachments without a name and with paths in the name': {
    msg: () => ({
      to: COLLEAGUE,
      topic: 'names',
      payload: 'x',
      attachments: [
        { content: Buffer.from('a') },
        { filename: '../../etc/passwd', content: 'b' },
        { filename: 'C:\\Windows\\system.ini', content: 'c' },
        { filename: 'evil\r\nContent-Type: text/html', content: 'd' },
      ],
    }),
    sent: (m) => {
      assert.equal(m.attachments.length, 4);
      for (const a of m.attachments) {
        assert.ok(a.name.length > 0, 'every attachment has a name');
        assert.ok(!/[\\/\r\n]/.test(a.name), `no path or line break in ${JSON.stringify(a.name)}`);
        assert.notEqual(a.name, '..');
      }
    },
  },
  'CR/LF in the subject': {
    msg: () => ({ to: COLLEAGUE, topic: 'Hello\r\nBcc: victim@contoso.example\r\n\r\nbody', payload: 'x' }),
    sent: (m) => {
      CRLF_FREE(m.subject);
      assert.match(m.subject, /^Hello Bcc: victim@contoso\.example body$/);
    },
  },
  'CR/LF in a recipient name': {
    msg: () => ({ to: '"Eve\r\nBcc: victim@contoso.example" <colleague@contoso.example>', payload: 'x' }),
    error: /line break|CR|LF|not an e-mail address/i,
  },
  'CR/LF in a recipient address': {
    msg: () => ({ to: 'colleague@contoso.example\r\nBcc: victim@contoso.example', payload: 'x' }),
    error: /line break|CR|LF|not an e-mail address/i,
  },
  'CR/LF in a custom header': {
    msg: () => ({
      to: COLLEAGUE,
      topic: 'header',
      payload: 'x',
      headers: { 'X-Order': '42\r\nBcc: victim@contoso.example' },
    }),
    sent: () => undefined,
    warns: /X-Order/,
  },
  'a payload of every odd type at once': {
    msg: () => ({
      to: COLLEAGUE,
      topic: 'odd',
      payload: {
        date: new Date(0),
        big: 10n ** 30n,
        fn: () => 1,
        sym: Symbol('s'),
        nan: NaN,
        und: undefined,
      },
    }),
    error:
      /payload cannot be converted to JSON for the mail body: Do not know how to serialize a BigInt; nothing was sent/,
  },
};

describe('security: oversized and odd input', function () {
  this.timeout(60_000);
  let sim: Simulator;

  nodeRedSuite({ simulator: { mailboxes: [SENDER, COLLEAGUE] }, tuning: FAST_TUNING }, (s) => (sim = s));

  for (const [name, hostile] of Object.entries(CASES)) {
    it(`o365-mail-out: ${name} gives a clear error or a safe, schema-valid mail, then sends normally`, async () => {
      const node = await loadSender(sim, SENDER);
      const sentBefore = sim.sent.length;
      if (hostile.uncatchable) {
        node.input(hostile.msg());
        await waitFor(() => node.record.errors.length > 0, 30_000, 'the error in the log');
        assert.match(node.record.errors[0], hostile.error ?? /^$/);
        assert.match(node.record.errors[0], /not passed to Catch nodes/);
        assert.equal(sim.sent.length, sentBefore, 'nothing was sent');
      }
      const outcome: SendOutcome = hostile.uncatchable
        ? { kind: 'error', message: node.record.errors[0], msg: {} }
        : await node.outcome(node.input(hostile.msg()), 30_000);
      if (hostile.error) {
        assert.equal(outcome.kind, 'error', 'refused');
        const message = outcome.kind === 'error' ? outcome.message : '';
        assert.match(message, hostile.error);
        assert.ok(message.length < 600, 'a short message, not a dump of the input');
        assert.equal(sim.sent.length, sentBefore, 'nothing was sent');
      } else if (outcome.kind === 'sent') {
        assert.equal(sim.sent.length, sentBefore + 1);
        hostile.sent?.(sim.sent[sim.sent.length - 1].message as never);
      } else {
        // Refusing is fine too, when it says why.
        assert.doesNotMatch(outcome.message, /undefined|\[object Object\]|Maximum call stack/);
        assert.match(outcome.message, /not sent/);
        assert.equal(sim.sent.length, sentBefore);
        assert.ok(!hostile.sent, `expected the mail to be sent safely, got: ${outcome.message}`);
      }
      if (hostile.warns)
        assert.ok(
          node.record.warnings.some((w) => hostile.warns?.test(w)),
          'warned',
        );
      assert.deepEqual(sim.schemaViolations, [], 'every request followed the Graph schema');
      const normal = await node.outcome(node.input({ to: COLLEAGUE, topic: 'normal', payload: 'x' }));
      assert.equal(normal.kind, 'sent', 'the node works on');
    });
  }

  it('o365-mail-in delivers a mail with hostile subject, headers and attachment names safely', async () => {
    sim.seedMessages(SENDER, 'inbox', 1, () => ({
      subject: 'odd \u0000\u202e subject',
      headers: { 'X-Evil': 'a\tb' },
      attachments: [
        { kind: 'file', name: '../../etc/passwd', content: Buffer.from('a') },
        { kind: 'file', name: 'C:\\boot.ini', content: Buffer.from('b') },
        { kind: 'file', name: '..', content: Buffer.from('c') },
      ],
    }));
    const { nodes } = await loadReceivers(sim, SENDER, {});
    await nodes[0].poll();
    assert.equal(nodes[0].messages.length, 1);
    const attachments = nodes[0].messages[0].attachments as { filename: string }[];
    assert.equal(attachments.length, 3);
    for (const a of attachments) {
      assert.ok(
        !/[\\/]/.test(a.filename) && a.filename !== '..' && a.filename !== '.',
        JSON.stringify(a.filename),
      );
    }
  });
});
