/**
 * Path and query injection: mailbox names, folder names and ids, moveTo and message ids containing / ? # % .. quotes
 * and Unicode reach Graph percent-encoded as one path segment, and OData literals double their single quotes. The
 * simulator records the exact paths it received; the expected encodings are written out by hand.
 */
import { strict as assert } from 'node:assert';
import type { Simulator } from '../simulator';
import { simConnection } from '../support/sim-connection';
import { GraphError } from '../../src/graph/errors';
import { loadReceivers, loadSender, waitFor, FAST_TUNING, nodeRedSuite } from '../reliability/support';

const MAILBOX = 'user@contoso.example';
const COLLEAGUE = 'colleague@contoso.example';
const U = 'user%40contoso.example';

/** Hostile ids and how Graph must receive them. */
const IDS: [string, string][] = [
  ['a/b', 'a%2Fb'],
  ['q?x=1&y', 'q%3Fx%3D1%26y'],
  ['h#frag', 'h%23frag'],
  ['p%2Fq', 'p%252Fq'],
  ['..x', '..x'],
  ['../../x', '..%2F..%2Fx'],
  ["it's", 'it%27s'],
  ['quo"te', 'quo%22te'],
  ['ünï/..', '%C3%BCn%C3%AF%2F..'],
  ['a b+c', 'a%20b%2Bc'],
  ['(x)*!', '%28x%29%2A%21'],
  ['\\..\\', '%5C..%5C'],
];

describe('security: path and query injection', function () {
  this.timeout(30_000);
  let sim: Simulator;

  nodeRedSuite({ simulator: { mailboxes: [MAILBOX, COLLEAGUE] }, tuning: FAST_TUNING }, (s) => (sim = s));

  const connection = () => simConnection(sim, { timeoutMs: 2000, retry: { maxAttempts: 1 } });

  describe('message ids', () => {
    for (const [id, encoded] of IDS) {
      it(`sends the message id ${JSON.stringify(id)} as the one segment ${encoded}`, async () => {
        const conn = connection();
        try {
          const api = conn.mailbox(MAILBOX);
          await assert.rejects(api.getMime(id), GraphError, 'Graph knows no such message');
          await api.deleteMessage(id).catch((err: unknown) => assert.ok(err instanceof GraphError));
          await assert.rejects(api.move(id, 'archive'), GraphError);
          const paths = sim.requests
            .filter((r) => r.operation !== 'token')
            .map((r) => `${r.method} ${r.rawPath}`);
          assert.deepEqual(paths, [
            `GET /v1.0/users/${U}/messages/${encoded}/$value`,
            `DELETE /v1.0/users/${U}/messages/${encoded}`,
            `POST /v1.0/users/${U}/messages/${encoded}/move`,
          ]);
        } finally {
          conn.close();
        }
      });
    }

    it('sends hostile ids inside $batch acknowledgements as one segment each', async () => {
      const conn = connection();
      try {
        const api = conn.mailbox(MAILBOX);
        const results = await api.acknowledge(
          IDS.map(([id]) => id),
          'read',
        );
        assert.ok(
          results.every((r) => !r.ok || r.gone),
          'no such messages',
        );
        const items = sim.requests.filter((r) => r.inBatch).map((r) => r.rawPath);
        assert.deepEqual(
          [...items].sort(),
          IDS.map(([, encoded]) => `/users/${U}/messages/${encoded}`).sort(),
        );
      } finally {
        conn.close();
      }
    });

    it('refuses "." and ".." as an id before any request (URL parsing would climb a level)', async () => {
      const conn = connection();
      try {
        const api = conn.mailbox(MAILBOX);
        for (const id of ['.', '..']) {
          await assert.rejects(api.getMime(id), (err: Error) =>
            /path segment ".{1,2}" is not allowed/.test(err.message),
          );
        }
        assert.equal(sim.requests.filter((r) => r.operation !== 'token').length, 0);
      } finally {
        conn.close();
      }
    });
  });

  describe('mailbox names', () => {
    const HOSTILE = "o'brien+x/y?z#w%25..ü@contoso.example";
    const ENCODED = 'o%27brien%2Bx%2Fy%3Fz%23w%2525..%C3%BC%40contoso.example';

    before(() => sim.addMailbox(HOSTILE));

    it('o365-mail-in polls a hostile mailbox name through one encoded segment', async () => {
      sim.seedMessages(HOSTILE, 'inbox', 2, (i) => ({ subject: `hostile ${i}` }));
      const { nodes } = await loadReceivers(sim, HOSTILE, {});
      await nodes[0].poll();
      assert.deepEqual(
        nodes[0].messages.map((m) => m.topic),
        ['hostile 0', 'hostile 1'],
      );
      const graph = sim.requests.filter((r) => r.operation !== 'token' && !r.inBatch);
      assert.ok(graph.length > 0);
      for (const r of graph) {
        assert.ok(
          r.rawPath.startsWith(`/v1.0/users/${ENCODED}/`) || r.rawPath === '/v1.0/$batch',
          `${r.method} ${r.rawPath}`,
        );
      }
      for (const r of sim.requests.filter((x) => x.inBatch))
        assert.ok(r.rawPath.startsWith(`/users/${ENCODED}/`));
    });

    it('o365-mail-out sends from a mailbox taken from the message through one encoded segment', async () => {
      const node = await loadSender(sim, '', { username: 'mailbox', usernameType: 'msg' });
      const outcome = await node.outcome(
        node.input({ mailbox: HOSTILE, to: COLLEAGUE, topic: 'x', payload: 'x' }),
      );
      assert.equal(outcome.kind, 'sent', outcome.kind === 'error' ? outcome.message : '');
      const sends = sim.requests.filter((r) => r.operation === 'sendMail');
      assert.deepEqual(
        sends.map((r) => r.rawPath),
        [`/v1.0/users/${ENCODED}/sendMail`],
      );
    });
  });

  describe('folder names and moveTo', () => {
    it('resolves folder paths with ? # % quotes and Unicode by $filter literals with doubled quotes', async () => {
      sim.addFolder(MAILBOX, 'inbox', 'Ord?ers #1 %');
      sim.addFolder(MAILBOX, 'Inbox/Ord?ers #1 %', `O'Brien "ü"`);
      sim.addFolder(MAILBOX, 'inbox', "Done's & ?#%");
      const source = `Inbox/Ord?ers #1 %/O'Brien "ü"`;
      sim.seedMessages(MAILBOX, source, 3, (i) => ({ subject: `folder ${i}` }));
      const { nodes } = await loadReceivers(sim, MAILBOX, {
        folder: source,
        action: 'move',
        moveTo: "Inbox/Done's & ?#%",
      });
      await nodes[0].poll();
      assert.equal(nodes[0].messages.length, 3);
      assert.equal(sim.messages(MAILBOX, "Inbox/Done's & ?#%").length, 3, 'moved where moveTo says');
      const filters = sim.requests.map((r) => r.query.$filter ?? r.query.filter).filter(Boolean);
      assert.ok(filters.includes(`displayName eq 'Ord?ers #1 %'`), JSON.stringify(filters));
      assert.ok(filters.includes(`displayName eq 'O''Brien "ü"'`), JSON.stringify(filters));
      assert.ok(filters.includes(`displayName eq 'Done''s & ?#%'`), JSON.stringify(filters));
      assert.deepEqual(sim.schemaViolations, []);
    });

    it('asks for a single-segment folder id with ? # % as one encoded segment', async () => {
      const { nodes } = await loadReceivers(sim, MAILBOX, { folder: "id?with#odd%'chars" });
      await nodes[0].poll();
      const get = sim.requests.find((r) => r.operation === 'getFolder');
      assert.equal(get?.rawPath, `/v1.0/users/${U}/mailFolders/id%3Fwith%23odd%25%27chars`);
      assert.equal(nodes[0].lastStatus?.fill, 'red', 'no such folder');
      assert.match(
        nodes[0].errors.map((e) => e.message).join(' '),
        /id\?with#odd%'chars/,
        'the error names it',
      );
    });

    it('refuses a folder path with ".." with an error naming the folder, before any request', async () => {
      const { nodes, record } = await loadReceivers(sim, MAILBOX, { folder: 'Inbox/../../other' });
      nodes[0].trigger();
      await waitFor(() => record.caught.length > 0, 5000, 'the error at the Catch node');
      assert.match(
        record.caught[0].message,
        /folder "Inbox\/\.\.\/\.\.\/other" may not contain '\.' or '\.\.'/,
      );
      assert.equal(sim.requests.filter((r) => r.operation !== 'token').length, 0);
    });
  });
});
