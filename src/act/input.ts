/**
 * The node's fields and an input message -> the action to take. The settings are read and checked once at deploy;
 * per message the TypedInputs are evaluated, `msg.operation` may override the node's operation (an unknown one is
 * refused before anything is asked of Graph), and the mail is `msg.o365.id` in `msg.o365.mailbox` unless the node's
 * fields say otherwise. No Node-RED import: the glue passes the evaluator in.
 */
import { ActionErrorCodes } from '../graph/error-codes';
import { ConfigError, messageOf } from '../graph/errors';
import {
  readBoolean,
  readChoice,
  readText,
  readTypedFields,
  type MailActionProperties,
  type TypedValue,
} from '../red/properties';
import type { Evaluate } from '../send/input';
import type { ActionRequest, GetOptions } from './actor';
import { ActionError, badAction } from './errors';
import {
  CATEGORY_MODES,
  needsFolder,
  OPERATIONS,
  operationNamed,
  parseCategories,
  type CategoryMode,
  type Operation,
} from './operations';

/** The TypedInput fields of o365-mail-action. */
export const MAIL_ACTION_FIELDS = ['username', 'target'] as const;
export type MailActionField = (typeof MAIL_ACTION_FIELDS)[number];

/** The node's settings, read and checked once at deploy. */
export interface MailActionSettings {
  operation: Operation;
  categoryMode: CategoryMode;
  /** Each field as given; an empty username means msg.o365.mailbox. */
  fields: Record<MailActionField, TypedValue>;
  /** How `get` reads the mail (mail in's options). */
  read: GetOptions;
  /** The mailbox when neither the node nor msg.o365.mailbox names one: `me` for a delegated account. */
  ownMailbox?: string;
}

/** An action resolved for one message: the mailbox and what to do there. */
export interface ResolvedAction {
  mailbox: string;
  request: ActionRequest;
}

/** Reads and checks the node's properties; throws a ConfigError naming the property at fault. */
export function readActionSettings(raw: MailActionProperties): MailActionSettings {
  const fields = readTypedFields(raw, MAIL_ACTION_FIELDS);
  const operation = readChoice('operation', raw.operation, OPERATIONS, 'markRead');
  // A fixed empty target can never work for the operations that need one; a TypedInput reading msg may.
  if (fields.target.type === 'str' && readText(fields.target.value, '') === '') {
    if (needsFolder(operation)) {
      throw new ConfigError(`operation '${operation}' needs a destination folder (target)`, {
        property: 'target',
      });
    }
    if (operation === 'categorize') {
      throw new ConfigError("operation 'categorize' needs categories (target)", { property: 'target' });
    }
  }
  return {
    operation,
    categoryMode: readChoice('categoryMode', raw.categoryMode, CATEGORY_MODES, 'add'),
    fields,
    read: {
      bodyFormat: readChoice('bodyFormat', raw.bodyFormat, ['text', 'html'] as const, 'text'),
      attachments: readBoolean('attachments', raw.attachments, true),
      output: readChoice('output', raw.output, ['message', 'mime'] as const, 'message'),
    },
  };
}

/**
 * The message's mailbox and action; rejects with an ActionError (UnknownOperation, BadInput) naming what is wrong.
 * `msg.operation`, when set, overrides the node's operation.
 */
export async function resolveAction(
  settings: MailActionSettings,
  msg: Record<string, unknown>,
  evaluate: Evaluate,
): Promise<ResolvedAction> {
  const operation = operationOf(settings, msg.operation);
  const o365 = isObject(msg.o365) ? msg.o365 : {};
  const field = async (name: MailActionField): Promise<unknown> => {
    const { value, type } = settings.fields[name];
    if (value.trim() === '') return undefined;
    try {
      return await evaluate(value, type);
    } catch (err) {
      throw badAction(operation, `${name}: could not evaluate ${type} "${value}": ${messageOf(err)}`);
    }
  };
  const mailbox = textOf(await field('username')) || textOf(o365.mailbox) || (settings.ownMailbox ?? '');
  if (!mailbox) {
    throw badAction(operation, 'no mailbox: set the username field or msg.o365.mailbox (mail in sets it)');
  }
  const id = textOf(o365.id);
  const internetMessageId = textOf(o365.internetMessageId);
  if (!id && !internetMessageId) {
    throw badAction(
      operation,
      'no mail: msg.o365.id (as mail in sets it) or msg.o365.internetMessageId',
      mailbox,
    );
  }
  const request: ActionRequest = {
    operation,
    mail: { id: id || undefined, internetMessageId: internetMessageId || undefined },
    categoryMode: settings.categoryMode,
    read: settings.read,
    folder: textOf(o365.folder) || undefined,
  };
  const target = await field('target');
  if (needsFolder(operation)) {
    request.target = textOf(target);
    if (!request.target) throw badAction(operation, 'no destination folder (target)', mailbox);
  } else if (operation === 'categorize') {
    try {
      request.categories = parseCategories(target);
    } catch (err) {
      throw badAction(operation, messageOf(err), mailbox);
    }
    if (request.categories.length === 0 && !(settings.categoryMode === 'set' && Array.isArray(target))) {
      throw badAction(
        operation,
        'no categories (target); to remove every category, set an empty list ([]) with category mode "set"',
        mailbox,
      );
    }
  }
  return { mailbox, request };
}

/** The node's operation, or msg.operation when the message names one; an unknown name is refused. */
function operationOf(settings: MailActionSettings, given: unknown): Operation {
  if (given === undefined || given === null || given === '') return settings.operation;
  const operation = operationNamed(given);
  if (operation) return operation;
  const shown = typeof given === 'string' ? JSON.stringify(given.slice(0, 40)) : typeof given;
  throw new ActionError({
    code: ActionErrorCodes.unknownOperation,
    operation: typeof given === 'string' ? given.slice(0, 40) : String(typeof given),
    problem: `msg.operation ${shown} is not an operation of mail action (use ${OPERATIONS.join(', ')})`,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}
