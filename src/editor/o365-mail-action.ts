/** The o365-mail-action editor: acts on one existing mail per input message. */
import { currentValue, NodeEditor } from './dialog';
import { field, FormValue, hint, nameRow, section } from './form';
import { EditorNode, Validator } from './red';
import { CATEGORY_MODES, OPERATIONS } from '../act/choices';
import { accountAndMailbox, MAIL_NODE, oneOf, readOptions } from './mail-nodes';
import { isFolderPath, isMailbox, textOf } from './rules';

const TYPE = 'o365-mail-action';
const PREFIX = 'node-input';
const TYPES = ['str', 'msg', 'flow', 'global', 'env', 'jsonata'];

const shown = (node: EditorNode, prop: string) => String(currentValue(node, PREFIX, prop) ?? '');
const typeOf = (node: EditorNode, prop: string) => shown(node, `${prop}Type`) || 'str';

const takesFolder = (operation: string) => operation === 'move' || operation === 'copy';
const operationIs =
  (...operations: string[]) =>
  (value: FormValue) =>
    operations.includes(String(value('operation')));

/** For types other than text, Node-RED's own check (msg property path, JSONata syntax, ...). */
function checkExpression(node: EditorNode, prop: string, value: unknown, options: unknown): boolean | string {
  const check = RED.validators.typedInput({ typeField: `${prop}Type`, allowBlank: true });
  return check.call(node, value, options);
}

/** Empty means msg.o365.mailbox; otherwise a mailbox (or `me`), or an expression that gives one. */
const mailbox = accountAndMailbox('typed', function (value, options) {
  if (typeOf(this, 'username') !== 'str') return checkExpression(this, 'username', value, options);
  const text = textOf(value);
  return text === '' || text.toLowerCase() === 'me' || isMailbox(text)
    ? true
    : this._(`${TYPE}.invalid.username`);
});

/** The folder of move and copy, or the categories of categorize; other operations take none. */
const validateTarget: Validator = function (value, options) {
  const operation = shown(this, 'operation');
  if (!takesFolder(operation) && operation !== 'categorize') return true;
  if (typeOf(this, 'target') !== 'str') return checkExpression(this, 'target', value, options);
  if (takesFolder(operation)) return isFolderPath(value) ? true : this._(`${TYPE}.invalid.folder`);
  return textOf(value).replace(/[,;\s]/g, '') !== '' ? true : this._(`${TYPE}.invalid.categories`);
};

const literalType = { value: 'str' };

export const mailActionEditor: NodeEditor = {
  type: TYPE,
  ...MAIL_NODE,
  icon: 'o365-mail-action.svg',
  defaults: {
    ...mailbox.defaults,
    username: { value: '', validate: mailbox.defaults.username.validate },
    usernameType: literalType,
    operation: { value: 'markRead', validate: oneOf(OPERATIONS, `${TYPE}.invalid.operation`) },
    target: { value: '', validate: validateTarget },
    targetType: literalType,
    categoryMode: { value: 'add', validate: oneOf(CATEGORY_MODES, `${TYPE}.invalid.categoryMode`) },
    ...readOptions(TYPE),
  },
  form: [
    ...mailbox.form,
    hint('mail'),
    section('action'),
    field('operation', 'select', 'cog', { options: OPERATIONS }),
    field('target', 'typed', 'folder-open-o', { when: operationIs('move', 'copy', 'categorize') }),
    hint('folder', { when: operationIs('move', 'copy') }),
    field('categoryMode', 'select', 'tags', {
      options: CATEGORY_MODES,
      when: operationIs('categorize'),
    }),
    hint('categories', { when: operationIs('categorize') }),
    section('read', operationIs('get')),
    field('output', 'select', 'sign-out', { options: ['message', 'mime'], when: operationIs('get') }),
    field('bodyFormat', 'select', 'file-text-o', {
      options: ['text', 'html'],
      when: (value) => operationIs('get')(value) && value('output') !== 'mime',
    }),
    field('attachments', 'checkbox', undefined, {
      when: (value) => operationIs('get')(value) && value('output') !== 'mime',
    }),
    ...nameRow(),
  ],
  label() {
    const operation = this._(`${TYPE}.operation.${String(this.operation || 'markRead')}`);
    const target = (this.targetType || 'str') === 'str' ? textOf(this.target) : '';
    return target && ['move', 'copy'].includes(String(this.operation))
      ? `${operation}: ${target}`
      : operation;
  },
  prepare() {
    for (const prop of ['username', 'target']) {
      const typeField = $(`#${PREFIX}-${prop}Type`);
      $(`#${PREFIX}-${prop}`).typedInput({ default: 'str', types: TYPES, typeField });
    }
  },
};
