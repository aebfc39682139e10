/** The o365-mail-out editor: sends one mail per input message. */
import { currentValue, NodeEditor } from './dialog';
import { field, FormValue, hint, nameRow, section } from './form';
import { EditorNode, Validator } from './red';
import { accountAndMailbox, defaultToOwnMailbox, MAIL_NODE } from './mail-nodes';
import { badRecipient, isMailbox } from './rules';

const TYPE = 'o365-mail-out';
const PREFIX = 'node-input';
const TYPES = ['str', 'msg', 'flow', 'global', 'env', 'jsonata'];
const TYPED_FIELDS = ['username', 'subject', 'toRecipients', 'ccRecipients', 'bccRecipients'];
const MODES = ['send', 'reply', 'replyAll', 'forward'];
const BODY_TYPES = ['auto', 'text', 'html', 'mime'];

/** Reply, reply all and forward answer the mail in msg.o365.id; a MIME body is a whole mail of its own. */
const answers = (value: FormValue) => value('mode') !== 'send' && value('mode') !== '';
const composes = (value: FormValue) => value('bodyType') !== 'mime';

/** The type a TypedInput field has in the open dialog, else the saved one. */
function typeOf(node: EditorNode, prop: string): string {
  return String(currentValue(node, PREFIX, `${prop}Type`) || 'str');
}

/** For types other than text, Node-RED's own check (msg property path, JSONata syntax, ...). */
function checkExpression(node: EditorNode, prop: string, value: unknown, options: unknown): boolean | string {
  const check = RED.validators.typedInput({ typeField: `${prop}Type`, allowBlank: prop !== 'username' });
  return check.call(node, value, options);
}

function recipientsValidator(prop: string): Validator {
  return function (value, options) {
    if (typeOf(this, prop) !== 'str') return checkExpression(this, prop, value, options);
    const address = badRecipient(value);
    if (address === undefined) return true;
    return this._(`${TYPE}.invalid.recipients`, { field: this._(`${TYPE}.label.${prop}`), address });
  };
}

const literalType = { value: 'str' };

const mailbox = accountAndMailbox('typed', function (value, options) {
  if (typeOf(this, 'username') !== 'str') return checkExpression(this, 'username', value, options);
  // An answer goes from the mailbox holding the original, which msg.o365.mailbox names when the field is empty.
  const answering = String(currentValue(this, PREFIX, 'mode') || 'send') !== 'send';
  if (answering && String(value ?? '').trim() === '') return true;
  return isMailbox(value) ? true : this._(`${TYPE}.invalid.username`);
});

export const mailOutEditor: NodeEditor = {
  type: TYPE,
  ...MAIL_NODE,
  icon: 'o365-mail-out.svg',
  align: 'right',
  defaults: {
    ...mailbox.defaults,
    // Not required: an answer's mailbox may come with the message (the validator says when it must be given).
    username: { value: '', validate: mailbox.defaults.username.validate },
    usernameType: literalType,
    subject: {
      value: '',
      validate(value, options) {
        return typeOf(this, 'subject') === 'str' ? true : checkExpression(this, 'subject', value, options);
      },
    },
    subjectType: literalType,
    toRecipients: { value: '', validate: recipientsValidator('toRecipients') },
    toRecipientsType: literalType,
    ccRecipients: { value: '', validate: recipientsValidator('ccRecipients') },
    ccRecipientsType: literalType,
    bccRecipients: { value: '', validate: recipientsValidator('bccRecipients') },
    bccRecipientsType: literalType,
    save: { value: true },
    bodyType: {
      value: 'auto',
      validate(value) {
        if (!BODY_TYPES.includes(String(value))) return this._(`${TYPE}.invalid.bodyType`);
        const answering = String(currentValue(this, PREFIX, 'mode') || 'send') !== 'send';
        return answering && value === 'mime' ? this._(`${TYPE}.invalid.mimeAnswer`) : true;
      },
    },
    mode: {
      value: 'send',
      validate(value) {
        // A node saved before mode existed (or an example without it) sends, as the runtime reads it.
        if (value === undefined || value === '') return true;
        return MODES.includes(String(value)) ? true : this._(`${TYPE}.invalid.mode`);
      },
    },
  },
  form: [
    ...mailbox.form,
    section('mail'),
    field('mode', 'select', 'reply', { options: MODES }),
    hint('answer', { when: answers }),
    field('subject', 'typed', 'header', { when: composes }),
    field('toRecipients', 'typed', 'envelope', { when: composes }),
    field('ccRecipients', 'typed', 'envelope-o', { when: composes }),
    field('bccRecipients', 'typed', 'user-secret', { when: composes }),
    hint('recipients', { when: (value) => composes(value) && !answers(value) }),
    hint('mime', { when: (value) => !composes(value) }),
    section('options'),
    field('bodyType', 'select', 'file-text-o', { options: BODY_TYPES }),
    field('save', 'checkbox', undefined),
    ...nameRow(),
  ],
  label() {
    if (this.username && (this.usernameType || 'str') === 'str') return String(this.username);
    return this._(`${TYPE}.paletteLabel`);
  },
  prepare(node) {
    for (const prop of TYPED_FIELDS) {
      const typeField = $(`#${PREFIX}-${prop}Type`);
      $(`#${PREFIX}-${prop}`).typedInput({ default: 'str', types: TYPES, typeField });
    }
    defaultToOwnMailbox(node, true);
  },
};
