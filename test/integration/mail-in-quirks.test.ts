/**
 * o365-mail-in against Graph's documented receive quirks (issue 10, test/simulator/README.md "Quirks and tenant
 * limits"), in the real Node-RED runtime: partial and unordered delta rounds, stale links (also across a restart with
 * a persistent context store), `$search`'s filter, lag and cap, large pages that time out, clouds without message
 * delta, claims whatever a move does to lastModifiedDateTime, and item attachments that are contacts or events.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimulator, type Simulator } from '../simulator';
import { graphClient, msgPath } from '../simulator/test-helpers';
import { loadMailIn, loadOne, MAILBOX, MailInNode, Msg, pollUntilQuiet } from './mail-in-harness';
import { accountCredentials, accountNode, CONFIG_ID, helper, mailInProps, waitFor } from './setup';

function subjects(nodes: MailInNode | MailInNode[]): string[] {
  return (Array.isArray(nodes) ? nodes : [nodes]).flatMap((n) => n.messages.map((m) => m.topic));
}

/** Each expected subject delivered exactly once, nothing else. */
function assertOnceEach(delivered: string[], expected: string[]): void {
  const counts = new Map<string, number>();
  for (const s of delivered) counts.set(s, (counts.get(s) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
  const lost = expected.filter((s) => !counts.has(s));
  const extra = [...counts.keys()].filter((s) => !expected.includes(s));
  assert.deepEqual({ lost, twice, extra }, { lost: [], twice: [], extra: [] }, 'nothing lost, nothing twice');
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

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

  const seed = (prefix: string, n: number, folder = 'inbox') => {
    const subjects = names(prefix, n);
    for (const subject of subjects) sim.addMessage(MAILBOX, folder, { subject });
    return subjects;
  };
  const claimed = () => {
    try {
      return sim.messages(MAILBOX, 'Inbox/o365-claim').length;
    } catch {
      return 0; // no claim folder yet
    }
  };
  const idOf = (subject: string) => sim.messages(MAILBOX).find((m) => m.subject === subject)?.id as string;
  const flag = async (subject: string) =>
    (await graphClient(sim)).patch(msgPath(idOf(subject)), { flag: { flagStatus: 'flagged' } });

  describe('delta rounds with partial items', () => {
    it('never delivers a partial item: a delivered mail is not delivered again, a new one comes whole', async () => {
      const early = seed('early', 3);
      const node = await loadOne(sim, { action: 'none', maxMessages: 0 });
      await node.poll();
      const later = seed('later', 3);
      // A rule flags a new mail before the node sees it, a user flags a delivered one: both come back changed, and
      // Graph may list a changed mail with only id, isRead and parentFolderId.
      await flag(later[0]);
      await flag(early[1]);
      sim.setQuirks({ deltaPartialItems: 1 });
      await pollUntilQuiet(node);
      assertOnceEach(subjects(node), [...early, ...later]);
      const whole = node.messages.find((m) => m.topic === later[0]) as Msg;
      const stored = sim.messages(MAILBOX).find((m) => m.subject === later[0]);
      assert.equal(
        (whole.date as Date).toISOString(),
        new Date(String(stored?.receivedDateTime)).toISOString(),
      );
      assert.equal(whole.from, stored?.from?.emailAddress.address);
      assert.ok(
        node.messages.every((m) => m.topic !== '' && !m.o365.warnings),
        'no message is made of a partial item',
      );
    });
  });
  describe('delta rounds in no particular order', () => {
    it('delivers once a mail delivered late, and one moved into the folder, both with an older receivedDateTime', async () => {
      sim.addFolder(MAILBOX, 'inbox', 'Archive');
      sim.addMessage(MAILBOX, 'Inbox/Archive', {
        subject: 'moved in',
        receivedDateTime: '2020-01-01T00:00:00Z',
      });
      const early = seed('early', 6);
      sim.setQuirks({ deltaShuffle: true });
      const node = await loadOne(sim, { action: 'none', maxMessages: 0 });
      await pollUntilQuiet(node);
      sim.deliverLate(MAILBOX, 'inbox', { subject: 'late and large' });
      sim.moveMessage(MAILBOX, idOf('moved in'), 'inbox');
      const more = seed('more', 4);
      await pollUntilQuiet(node);
      assertOnceEach(subjects(node), [...early, 'late and large', 'moved in', ...more]);
    });
  });
  describe('stale delta and next links', () => {
    it('neither skips nor repeats mail when links turn stale at random, across a shuffled round in small polls', async () => {
      const expected = seed('mail', 60);
      sim.setQuirks({ deltaShuffle: true, deltaStaleRate: 0.3 });
      const node = await loadOne(sim, { action: 'none', maxMessages: 7 });
      await pollUntilQuiet(node);
      expected.push(...seed('new', 15));
      await pollUntilQuiet(node);
      assertOnceEach(subjects(node), expected);
      assert.ok(sim.requests.some((r) => r.operation === 'delta' && r.status === 410));
    });

    it('resumes after a restart of Node-RED in the middle of a round with a persistent context store, then a stale link', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-context-'));
      try {
        const expected = seed('mail', 40);
        sim.setQuirks({ deltaShuffle: true });
        const props = { action: 'none', maxMessages: 10 };
        const first = await loadWithPersistentContext(sim, props, dir);
        await first.poll();
        assert.equal(first.messages.length, 10, 'stopped in the middle of the round');
        await stopNodeRed();
        const second = await loadWithPersistentContext(sim, props, dir);
        sim.staleNextDeltaLinks(1);
        await pollUntilQuiet(second);
        assertOnceEach([...subjects(first), ...subjects(second)], expected);
        assert.ok(sim.requests.some((r) => r.operation === 'delta' && r.status === 410));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  describe('search', () => {
    it('with action read does not deliver already-read matches again at every poll', async () => {
      const unread = seed('invoice', 3);
      sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice paid', isRead: true });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'newsletter' });
      const node = await loadOne(sim, { action: 'read', search: 'subject:invoice' });
      for (let i = 0; i < 3; i++) await node.poll();
      assertOnceEach(subjects(node), unread);
      assert.equal(sim.messages(MAILBOX).find((m) => m.subject === 'newsletter')?.isRead, false);
    });

    it('with action none delivers a match the index takes in late, once', async () => {
      const node = await loadOne(sim, { action: 'none', search: 'subject:invoice' });
      const first = seed('invoice', 2);
      await node.poll();
      sim.setQuirks({ searchLagMs: 400 });
      // A rule flags an older match: the index takes it in again, so for a while only newer matches are found.
      await flag(first[0]);
      const newer = seed('invoice new', 2);
      await new Promise((r) => setTimeout(r, 450));
      await flag(newer[0]);
      await node.poll();
      await new Promise((r) => setTimeout(r, 450));
      await pollUntilQuiet(node);
      assertOnceEach(subjects(node), [...first, ...newer]);
    });
  });
  describe('large pages', () => {
    const cases = [
      { fault: 'answer 504', tuning: {}, quirk: {} },
      // The gateway takes longer than the node waits: the client times out instead.
      { fault: 'time out', tuning: { timeoutMs: 400 }, quirk: { delayMs: 1500 } },
    ];
    for (const { fault, tuning, quirk } of cases) {
      it(`makes progress when big pages with attachments ${fault}, and remembers the smaller page`, async () => {
        helper.settings({
          o365: { ...tuning, retry: { baseDelayMs: 5, maxDelayMs: 20, maxTotalDelayMs: 500 } },
        });
        const expected = names('with attachment', 40);
        for (const subject of expected) {
          sim.addMessage(MAILBOX, 'inbox', {
            subject,
            attachments: [{ kind: 'file', name: 'a.txt', content: Buffer.from(subject) }],
          });
        }
        sim.setQuirks({ largePage: { maxExpandedAttachments: 8, ...quirk } });
        const node = await loadOne(sim, { action: 'read', maxMessages: 20 });
        await node.poll();
        await node.poll();
        assertOnceEach(subjects(node), expected);
        for (const msg of node.messages) {
          const [attachment] = msg.attachments as { filename: string; content: Buffer }[];
          assert.equal(attachment.content.toString(), msg.topic, 'each attachment came along');
        }
        const failed = sim.requests.filter((r) => r.operation === 'listMessages' && r.status === 504);
        assert.ok(
          failed.length <= 2,
          `the failing page is not asked again and again (${failed.length} times)`,
        );
      });
    }
  });

  describe('clouds without message delta', () => {
    it('falls back to listing with one warning when Graph has no message delta', async () => {
      sim.setMessageDelta(false);
      const first = seed('mail', 5);
      const node = await loadOne(sim, { action: 'none', maxMessages: 0 });
      await node.poll();
      await node.poll();
      sim.deliverLate(MAILBOX, 'inbox', { subject: 'late' });
      const later = seed('later', 2);
      await pollUntilQuiet(node);
      assertOnceEach(subjects(node), [...first, 'late', ...later]);
      assert.equal(node.warnings.filter((w) => /delta/i.test(w)).length, 1, 'one clear warning');
      assert.deepEqual(node.errors, []);
    });
  });
  describe('claims', () => {
    for (const keeps of [true, false]) {
      it(`delivers every old mail once across two consumers when a move ${keeps ? 'keeps' : 'stamps'} lastModifiedDateTime`, async () => {
        sim.setMoveKeepsLastModified(keeps);
        // Mail that waited in the folder for an hour: its lastModifiedDateTime is older than the claim timeout.
        const hourAgo = new Date(Date.now() - 3600_000).toISOString();
        const expected = names('waiting', 40);
        expected.forEach((subject, i) =>
          sim.addMessage(MAILBOX, 'inbox', {
            subject,
            lastModifiedDateTime: hourAgo,
            // The first has an attached mail, read on its own: a while passes between the claim and the acknowledgement.
            attachments: i === 0 ? [{ kind: 'item', name: 'fwd', message: { subject: 'inner' } }] : [],
          }),
        );
        sim.slowNext(1, 1500, { match: { operation: 'getAttachmentValue' } });
        const nodes = await loadMailIn(sim, { action: 'read', claim: true, maxMessages: 0 }, 2);
        const [a, b] = nodes;
        const before = a.pollsEnded;
        a.trigger();
        await waitFor(() => claimed() === 40, 10_000, 'a to claim every mail');
        // b polls while a holds fresh claims: it must not take them for claims left behind by a consumer that died.
        await b.poll();
        await a.pollEnded(before);
        for (let round = 0; round < 3; round++) await Promise.all(nodes.map((n) => n.poll()));
        assertOnceEach(subjects(nodes), expected);
        assert.ok(sim.messages(MAILBOX, 'inbox').every((m) => m.isRead));
        assert.equal(claimed(), 0, 'no mail left in the claim folder');
      });
    }
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

/**
 * Loads one mail-in node (id in0) whose node context lives in a localfilesystem store under `dir`, as a Node-RED with
 * `contextStorage` in settings.js would, in a fresh copy of the node module (no in-process memory of a cursor).
 */
async function loadWithPersistentContext(
  sim: Simulator,
  props: Record<string, unknown>,
  dir: string,
): Promise<MailInNode> {
  helper.settings({
    contextStorage: { default: { module: 'localfilesystem', config: { dir, flushInterval: 1 } } },
  });
  // A new process: the package's modules (and their in-process copies of cursors) are loaded afresh.
  const nodesDir = path.resolve(__dirname, '../../nodes') + path.sep;
  for (const file of Object.keys(require.cache)) if (file.startsWith(nodesDir)) delete require.cache[file];
  /* eslint-disable @typescript-eslint/no-require-imports */
  const mailIn = require('../../nodes/o365-mail-in.js');
  const config = require('../../nodes/o365-config.js');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const flow = [
    { id: 'tab1', type: 'tab', label: 'mail in' },
    accountNode(sim),
    {
      id: 'in0',
      z: 'tab1',
      name: '',
      account: CONFIG_ID,
      wires: [['sink0']],
      ...mailInProps(MAILBOX, props),
    },
    { id: 'sink0', z: 'tab1', type: 'helper' },
  ];
  await helper.load([config, mailIn], flow, accountCredentials(sim));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await (helper as any)._redNodes.loadContextsPlugin();
  const node = new MailInNode(helper.getNode('in0'));
  helper.getNode('sink0').on('input', (msg: Msg) => node.messages.push(msg));
  return node;
}

/** Stops the flows and closes the context stores (written to disk), as a Node-RED shutdown does. */
async function stopNodeRed(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const runtime = (helper as any)._redNodes;
  await runtime.stopFlows();
  await runtime.closeContextsPlugin();
  runtime.clearRegistry();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const h = helper as any;
  h._logSpy?.restore();
  h._sandbox.restore();
}
