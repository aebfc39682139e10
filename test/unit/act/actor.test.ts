import assert from 'node:assert/strict';
import { rejection } from '../../support/rejection';
import { MailActor, type ActApi, type ActionRequest } from '../../../src/act/actor';
import { ActionError } from '../../../src/act/errors';
import { ErrorCodes } from '../../../src/graph/error-codes';
import { GraphError } from '../../../src/graph/errors';
import type { MessageOperation, MessageOperationResult } from '../../../src/graph/mail-api';

/** A mailbox of ids the fake knows; every operation is recorded. */
class FakeApi implements ActApi {
  readonly mailbox = 'box@contoso.example';
  readonly performed: MessageOperation[][] = [];
  readonly known = new Set<string>(['live']);
  byInternetMessageId: string[] = [];
  answer?: (op: MessageOperation) => MessageOperationResult;

  async resolveFolder(spec: string): Promise<string> {
    if (spec === 'Missing') {
      throw new GraphError({
        code: ErrorCodes.folderNotFound,
        reason: 'item-not-found',
        hint: 'Folder "Missing" not found',
        folder: { segment: 'Missing', path: 'Missing', mailbox: this.mailbox },
      });
    }
    return `folder:${spec}`;
  }

  async perform(operations: MessageOperation[]): Promise<MessageOperationResult[]> {
    this.performed.push(operations);
    return operations.map((op) => this.answer?.(op) ?? this.defaultAnswer(op));
  }

  private defaultAnswer(op: MessageOperation): MessageOperationResult {
    if (!this.known.has(op.messageId)) {
      const error = new GraphError({ code: 'ErrorItemNotFound', reason: 'item-not-found', status: 404 });
      return { ok: false, status: 404, error };
    }
    if (op.action) return { ok: true, status: 201, body: { id: `${op.action}-of-${op.messageId}` } };
    return { ok: true, status: 200, body: { id: op.messageId, categories: ['Old'] } };
  }

  async findByInternetMessageId(): Promise<string[]> {
    return this.byInternetMessageId;
  }
  async getMime(): Promise<Buffer> {
    return Buffer.from('Subject: x\r\n\r\nbody');
  }
  async listAttachments(): Promise<never[]> {
    return [];
  }
  async attachmentValue(): Promise<Buffer> {
    return Buffer.alloc(0);
  }
}

function request(extra: Partial<ActionRequest> = {}): ActionRequest {
  return {
    operation: 'markRead',
    mail: { id: 'live', internetMessageId: '<m@x>' },
    categoryMode: 'add',
    read: { bodyFormat: 'text', attachments: true, output: 'message' },
    ...extra,
  };
}

const failure = (promise: Promise<unknown>) => rejection(promise, ActionError);

describe('MailActor', () => {
  it('acts on the mail by its id, and reports the new id after a move', async () => {
    const api = new FakeApi();
    const actor = new MailActor(api);
    assert.deepEqual(await actor.act(request()), { id: 'live', isRead: true });
    const moved = await actor.act(request({ operation: 'move', target: 'Done' }));
    assert.deepEqual(moved, { id: 'move-of-live', previousId: 'live', folder: 'Done' });
    assert.deepEqual(api.performed[1][0].body, { destinationId: 'folder:Done' });
  });

  it('finds a mail whose id no longer resolves by its internetMessageId, then acts on it there', async () => {
    const api = new FakeApi();
    api.known.add('moved');
    api.byInternetMessageId = ['moved'];
    const result = await new MailActor(api).act(
      request({ mail: { id: 'gone', internetMessageId: '<m@x>' } }),
    );
    assert.deepEqual(result, { id: 'moved', isRead: true, foundByInternetMessageId: true });
    assert.deepEqual(
      api.performed.map((batch) => batch[0].messageId),
      ['gone', 'moved'],
    );
  });

  it('changes nothing when the internetMessageId finds no mail or several (MailNotFound, MailAmbiguous)', async () => {
    const api = new FakeApi();
    const gone = request({ mail: { id: 'gone', internetMessageId: '<m@x>' } });
    assert.equal((await failure(new MailActor(api).act(gone))).code, 'MailNotFound');
    api.byInternetMessageId = ['a', 'b'];
    const ambiguous = await failure(new MailActor(api).act(gone));
    assert.equal(ambiguous.code, 'MailAmbiguous');
    assert.match(ambiguous.message, /2 mails have internetMessageId <m@x>/);
    assert.equal(ambiguous.outcome, 'unchanged');
    assert.equal(api.performed.length, 2, 'only the two tries on the old id were made');
  });

  it('without an internetMessageId, a mail that is gone is MailNotFound at once', async () => {
    const api = new FakeApi();
    const gone = await failure(new MailActor(api).act(request({ mail: { id: 'gone' } })));
    assert.equal(gone.code, 'MailNotFound');
    assert.match(gone.message, /internetMessageId the node finds a moved mail/);
  });

  it('refuses a missing destination folder before touching the mail', async () => {
    const api = new FakeApi();
    const missing = await failure(new MailActor(api).act(request({ operation: 'copy', target: 'Missing' })));
    assert.equal(missing.code, 'FolderNotFound');
    assert.equal(api.performed.length, 0);
  });

  it('reads the categories first for add and remove, then writes the result', async () => {
    const api = new FakeApi();
    const result = await new MailActor(api).act(
      request({ operation: 'categorize', categories: ['New'], categoryMode: 'add' }),
    );
    assert.deepEqual(result.categories, ['Old', 'New']);
    assert.deepEqual(
      api.performed.map((batch) => batch[0].method),
      ['GET', 'PATCH'],
    );
  });

  it('says when Graph may have done it (OutcomeUnknown), and a missing permission by its own code', async () => {
    const api = new FakeApi();
    api.answer = () => ({
      ok: false,
      status: 0,
      error: new GraphError({ code: ErrorCodes.outcomeUnknown, reason: 'outcome-unknown' }),
    });
    const unknown = await failure(new MailActor(api).act(request({ operation: 'copy', target: 'x' })));
    assert.equal(unknown.code, 'OutcomeUnknown');
    assert.equal(unknown.outcome, 'unknown');
    assert.match(unknown.message, /may or may not have been done/);
    api.answer = () => ({
      ok: false,
      status: 403,
      error: new GraphError({ code: 'ErrorAccessDenied', reason: 'permission-missing', status: 403 }),
    });
    assert.equal((await failure(new MailActor(api).act(request()))).code, 'PermissionMissing');
  });

  it('fails what is still waiting when it closes (Closed: nothing changed)', async () => {
    const api = new FakeApi();
    const actor = new MailActor(api);
    const waiting = actor.act(request());
    await actor.close();
    const closed = await failure(waiting);
    assert.equal(closed.code, 'Closed');
    assert.match(closed.message, /^markRead of mail live in box@contoso.example not done: the node closed/);
    assert.equal(api.performed.length, 0);
  });
});
