import assert from 'node:assert/strict';
import { ActionError } from '../../../src/act/errors';
import { readActionSettings, resolveAction } from '../../../src/act/input';
import { ConfigError } from '../../../src/graph/errors';

/** Evaluates `str` as itself and `msg` as a property of the message, as Node-RED does for these two types. */
function evaluator(msg: Record<string, unknown>) {
  return async (value: string, type: string) => (type === 'msg' ? msg[value] : value);
}

const mail = {
  o365: { id: 'AAMkID', internetMessageId: '<m@x>', mailbox: 'box@contoso.example', folder: 'inbox' },
};

async function resolve(props: Record<string, unknown>, msg: Record<string, unknown>) {
  return resolveAction(readActionSettings(props), msg, evaluator(msg));
}

async function refusal(props: Record<string, unknown>, msg: Record<string, unknown>): Promise<ActionError> {
  try {
    await resolve(props, msg);
  } catch (err) {
    assert.ok(err instanceof ActionError, String(err));
    return err;
  }
  throw new Error('expected a refusal');
}

describe('mail action input', () => {
  it('reads the defaults of SPEC: markRead, add, and mail in read options', () => {
    const settings = readActionSettings({});
    assert.equal(settings.operation, 'markRead');
    assert.equal(settings.categoryMode, 'add');
    assert.deepEqual(settings.read, { bodyFormat: 'text', attachments: true, output: 'message' });
  });

  it('refuses settings that cannot work, naming the property', () => {
    const property = (props: Record<string, unknown>) => {
      try {
        readActionSettings(props);
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.property;
      }
      return undefined;
    };
    assert.equal(property({ operation: 'archive' }), 'operation');
    assert.equal(property({ operation: 'move', target: '' }), 'target');
    assert.equal(property({ operation: 'categorize', target: ' ' }), 'target');
    assert.equal(property({ operation: 'move', target: 'folder', targetType: 'msg' }), undefined);
    assert.equal(property({ categoryMode: 'toggle' }), 'categoryMode');
    assert.equal(property({ attachments: 'yes' }), 'attachments');
  });

  it('takes the mail and mailbox from msg.o365 unless the username field names a mailbox', async () => {
    const fromMsg = await resolve({}, mail);
    assert.equal(fromMsg.mailbox, 'box@contoso.example');
    assert.deepEqual(fromMsg.request.mail, { id: 'AAMkID', internetMessageId: '<m@x>' });
    assert.equal(fromMsg.request.folder, 'inbox');
    const fromField = await resolve({ username: 'other@contoso.example' }, mail);
    assert.equal(fromField.mailbox, 'other@contoso.example');
  });

  it('lets msg.operation override the node operation (any case) and refuses an unknown one', async () => {
    assert.equal((await resolve({}, { ...mail, operation: 'DELETE' })).request.operation, 'delete');
    const unknown = await refusal({}, { ...mail, operation: 'archive' });
    assert.equal(unknown.code, 'UnknownOperation');
    assert.equal(unknown.outcome, 'unchanged');
    assert.equal((await refusal({}, { ...mail, operation: { op: 1 } })).code, 'UnknownOperation');
  });

  it('asks move and copy for a folder and categorize for categories, from the target field', async () => {
    const move = await resolve({ operation: 'move', target: 'Inbox/Done' }, mail);
    assert.equal(move.request.target, 'Inbox/Done');
    const viaMsg = await resolve(
      { operation: 'markRead', target: 'dest', targetType: 'msg' },
      {
        ...mail,
        operation: 'copy',
        dest: 'archive',
      },
    );
    assert.equal(viaMsg.request.target, 'archive');
    assert.equal((await refusal({ target: '' }, { ...mail, operation: 'move' })).code, 'BadInput');
    const categories = await resolve({ operation: 'categorize', target: 'A; B' }, mail);
    assert.deepEqual(categories.request.categories, ['A', 'B']);
    const empty = await refusal(
      { operation: 'categorize', target: 'none', targetType: 'msg' },
      { ...mail, none: '' },
    );
    assert.match(empty.message, /no categories/);
  });

  it('refuses a message without a mail, or without a mailbox', async () => {
    assert.match((await refusal({}, { payload: 1 })).message, /no mailbox/);
    assert.match(
      (await refusal({}, { o365: { mailbox: 'box@contoso.example' } })).message,
      /no mail: msg\.o365\.id/,
    );
  });
});
