/** What the two mail nodes' editors share: palette place and colour, ports, and the account and mailbox. */
import { PropertyDef } from './dialog';
import { field, FieldPart, FormPart, section } from './form';
import { Validator } from './red';

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
      username: { value: '', required: true, validate: validateMailbox },
    },
    form: [
      section('mailbox'),
      field('account', 'config', 'building'),
      field('username', mailboxInput, 'user'),
    ],
  };
}
