import { strict as assert } from 'node:assert';
import { Cursor, memoryCursorStore, type CursorV1 } from '../../../src/receive/cursor';
import { cursorKey, readReceiveOptions } from '../../../src/receive/options';
import { MESSAGE_SELECT } from '../../../src/mail/inbound';
import type { Simulator } from '../../simulator';
import { engine, MAILBOX, simConnection, freshSimulator } from './harness';

/** Version 1 cursors (a receivedDateTime watermark) stored by earlier versions become version 2 on first use. */
describe('receive: version 1 cursors migrate without skipping or repeating mail', () => {
  let sim: Simulator;
  freshSimulator((s) => (sim = s));

  const seed = (n: number, prefix: string) =>
    sim.seedMessages(MAILBOX, 'inbox', n, (i) => ({ subject: `${prefix} ${i}` }));
  const topics = (mails: { topic: string }[]) => mails.map((m) => m.topic).sort();
  const keyOf = (props: Record<string, unknown>) =>
    cursorKey(readReceiveOptions({ username: MAILBOX, ...props }));
  const newest = () => sim.messages(MAILBOX, 'inbox')[0];

  /** The pages of a delta round of the inbox, as version 1 walked them. */
  async function deltaPages(pageSize: number, link?: string) {
    const connection = simConnection(sim);
    const api = connection.mailbox(MAILBOX);
    const folder = await api.resolveFolder('inbox');
    const pages = [];
    for await (const page of api.delta(folder, {
      deltaLink: link,
      select: MESSAGE_SELECT,
      bodyFormat: 'text',
      pageSize,
    })) {
      pages.push(page);
      if (link === undefined && pages.length === 1 && page.nextLink) break;
    }
    connection.close();
    return pages;
  }

  it('a delta cursor between rounds: new mail and mail delivered late come, nothing delivered before', async () => {
    seed(6, 'old');
    const [round] = await deltaPagesToEnd();
    const mark = newest();
    const v1: CursorV1 = {
      version: 1,
      key: keyOf({ action: 'none' }),
      mode: 'delta',
      watermark: { at: mark.receivedDateTime, ids: [mark.id] },
      link: round.deltaLink,
      roundStart: true,
    };
    const store = memoryCursorStore(v1);
    seed(2, 'new');
    const e = engine(sim, { action: 'none', maxMessages: 0 }, { store });
    await e.receiver.pollOnce();
    // Delivered late after the migration (one before it is indistinguishable from handled mail, as for version 1).
    sim.deliverLate(MAILBOX, 'inbox', { subject: 'late' });
    await e.receiver.pollOnce();
    sim.invalidateDeltaTokens();
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered), ['late', 'new 0', 'new 1']);
    const stored = Cursor.fromStored(store.value, v1.key);
    assert.ok(stored, 'stored as version 2');
  });

  it('a delta cursor in the middle of a round: the rest of the round comes, and a resync repeats nothing', async () => {
    seed(12, 'mail');
    const [first] = await deltaPages(5);
    const delivered = first.value.map((m) => String(m.id));
    const latest = first.value
      .map((m) => String(m.receivedDateTime))
      .sort()
      .pop() as string;
    const v1: CursorV1 = {
      version: 1,
      key: keyOf({ action: 'none' }),
      mode: 'delta',
      link: first.nextLink,
      roundStart: false,
      next: {
        at: latest,
        ids: first.value.filter((m) => m.receivedDateTime === latest).map((m) => String(m.id)),
      },
    };
    const store = memoryCursorStore(v1);
    const e = engine(sim, { action: 'none', maxMessages: 0 }, { store });
    await e.receiver.pollOnce();
    sim.invalidateDeltaTokens();
    seed(1, 'new');
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    const expected = sim
      .messages(MAILBOX, 'inbox')
      .filter((m) => !delivered.includes(m.id))
      .map((m) => m.subject)
      .sort();
    assert.deepEqual(topics(e.delivered), expected);
    assert.equal(e.delivered.length, 8);
  });

  it('a watermark cursor (search): matches after it come, and one delivered late', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 3, (i) => ({ subject: `invoice ${i}` }));
    const mark = newest();
    const v1: CursorV1 = {
      version: 1,
      key: keyOf({ action: 'none', search: 'subject:invoice' }),
      mode: 'watermark',
      watermark: { at: mark.receivedDateTime, ids: [mark.id] },
    };
    sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice new' });
    const e = engine(sim, { action: 'none', search: 'subject:invoice' }, { store: memoryCursorStore(v1) });
    await e.receiver.pollOnce();
    sim.deliverLate(MAILBOX, 'inbox', { subject: 'invoice late' });
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered), ['invoice late', 'invoice new']);
  });

  async function deltaPagesToEnd() {
    const connection = simConnection(sim);
    const api = connection.mailbox(MAILBOX);
    const folder = await api.resolveFolder('inbox');
    const pages = [];
    for await (const page of api.delta(folder, {
      select: MESSAGE_SELECT,
      bodyFormat: 'text',
      pageSize: 1000,
    })) {
      pages.push(page);
    }
    connection.close();
    return pages.slice(-1);
  }
});
