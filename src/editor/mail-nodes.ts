/**
 * What the mail nodes' editors share: palette place and colour, ports, the account and mailbox, the choice validator
 * and the read options of a fetched mail (mail in and mail action's get).
 */
import { currentValue, PropertyDef, SHARED_CATALOGUE } from './dialog';
import { field, FieldPart, FormPart, section } from './form';
import { EditorNode, Validator } from './red';

const PREFIX = 'node-input';

/** True when the account the dialog (or the saved node) names is one a user signs in to. */
export function usesDelegatedAccount(node: EditorNode): boolean {
  const id = String(currentValue(node, PREFIX, 'account') ?? '');
  return id !== '' && id !== '_ADD_' && RED.nodes.node(id)?.authType === 'delegated';
}

/** `me`, the signed-in user's own mailbox, only for a delegated account; anything else as `validate` says. */
function allowingMe(validate: Validator): Validator {
  return function (value, options) {
    if (
      String(value ?? '')
        .trim()
        .toLowerCase() === 'me'
    ) {
      return usesDelegatedAccount(this)
        ? true
        : RED._(`${SHARED_CATALOGUE}:o365-config.invalid.me-needs-delegated`);
    }
    return validate.call(this, value, options);
  };
}

/**
 * A delegated account's nodes use the signed-in user's own mailbox unless told otherwise: choosing such an account
 * fills an empty mailbox with `me`.
 */
export function defaultToOwnMailbox(node: EditorNode, typed: boolean): void {
  const fill = () => {
    const input = $(`#${PREFIX}-username`);
    if (!usesDelegatedAccount(node) || String(input.val() ?? '').trim() !== '') return;
    if (typed) input.typedInput('value', 'me');
    else input.val('me').trigger('change');
  };
  $(`#${PREFIX}-account`).on('change', fill);
  fill();
}

/** Where the mail nodes stand in the palette, and their ports: one input, one output. */
export const MAIL_NODE = { category: 'Microsoft 365', color: '#3c8fd6', inputs: 1, outputs: 1 } as const;

/** The first section of a mail node's dialog, and its properties: the name, the account, the mailbox. */
export function accountAndMailbox(
  mailboxInput: FieldPart['input'],
  validateMailbox: Validator,
): { defaults: Record<string, PropertyDef>; form: FormPart[] } {
  return {
    defaults: {
      name: { value: '' },
      account: { type: 'o365-config', required: true },
      username: { value: '', required: true, validate: allowingMe(validateMailbox) },
    },
    form: [
      section('mailbox'),
      field('account', 'config', 'building'),
      field('username', mailboxInput, 'user'),
    ],
  };
}

/** A validator: one of `values`, else the catalogue text `key` (`<type>.invalid.<property>`). */
export function oneOf(values: readonly string[], key: string): Validator {
  return function (value) {
    return values.includes(String(value)) ? true : this._(key);
  };
}

/** How a fetched mail becomes a message (mail in, and mail action's get): body format, attachments, output. */
export function readOptions(type: string): Record<string, PropertyDef> {
  return {
    bodyFormat: { value: 'text', validate: oneOf(['text', 'html'], `${type}.invalid.bodyFormat`) },
    attachments: { value: true },
    output: { value: 'message', validate: oneOf(['message', 'mime'], `${type}.invalid.output`) },
  };
}
