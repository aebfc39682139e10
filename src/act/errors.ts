/**
 * Why an action on a mail was not done, or may not have been. Callers branch on `code` (ActionErrorCodes in
 * src/graph/error-codes.ts) and `changed`; the words are made in one place, `actionErrorText`, from the fields.
 */
import { ActionErrorCodes, ErrorCodes } from '../graph/error-codes';
import { ConfigError, GraphError, WorkError, asO365Error, messageOf } from '../graph/errors';

export type ActionErrorCode = (typeof ActionErrorCodes)[keyof typeof ActionErrorCodes];

export interface ActionFailure {
  code: ActionErrorCode;
  /** The operation asked for (or the unknown name given in msg.operation). */
  operation: string;
  /** The problem alone: "no mail id (msg.o365.id)", "folder 'Processed' not found", Graph's hint... */
  problem: string;
  mailbox?: string;
  /** The mail's id as given (msg.o365.id), when there was one. */
  mailId?: string;
}

/** An action that did not happen, or may have; with the Microsoft 365 error behind it when there is one. */
export class ActionError extends WorkError<ActionFailure> implements ActionFailure {
  declare readonly code: ActionErrorCode;
  declare readonly operation: string;
  declare readonly problem: string;
  declare readonly mailbox?: string;
  declare readonly mailId?: string;
  /** `unchanged`: the mail is surely as it was; `unknown`: Graph may have done it (it was not repeated). */
  readonly outcome: 'unchanged' | 'unknown';

  constructor(failure: ActionFailure, cause?: unknown) {
    super('ActionError', failure, actionErrorText(failure), cause);
    this.outcome = failure.code === ActionErrorCodes.outcomeUnknown ? 'unknown' : 'unchanged';
  }
}

/** "markRead of mail AAMk… in x@y: problem; nothing was changed". */
export function actionErrorText(failure: ActionFailure): string {
  const mail = failure.mailId ? ` of mail ${shortId(failure.mailId)}` : '';
  const where = failure.mailbox ? ` in ${failure.mailbox}` : '';
  const subject = `${failure.operation}${mail}${where}`;
  if (failure.code === ActionErrorCodes.outcomeUnknown) {
    return `${subject} may or may not have been done (${failure.problem}); it was not repeated`;
  }
  return `${subject} not done: ${failure.problem}; nothing was changed`;
}

/** Exchange ids are long; the end is what tells two apart. */
function shortId(id: string): string {
  return id.length > 24 ? `…${id.slice(-20)}` : id;
}

/** Bad input (no id, no target, bad categories): names the problem; nothing changed. */
export function badAction(operation: string, problem: string, mailbox?: string): ActionError {
  return new ActionError({ code: ActionErrorCodes.badInput, operation, problem, mailbox });
}

/** Any failure as an ActionError of the operation on the mail: a missing folder or permission by its own code. */
export function asActionError(
  err: unknown,
  context: { operation: string; mailbox?: string; mailId?: string },
): ActionError {
  if (err instanceof ActionError) return err;
  if (err instanceof ConfigError) {
    return new ActionError({ code: ActionErrorCodes.badInput, problem: err.message, ...context }, err);
  }
  const error = asO365Error(err);
  const problem = messageOf(error);
  if (error instanceof GraphError && error.folder) {
    return new ActionError({ code: ActionErrorCodes.folderNotFound, problem, ...context }, error);
  }
  const code =
    error.code === ErrorCodes.outcomeUnknown
      ? ActionErrorCodes.outcomeUnknown
      : error.reason === 'permission-missing' || error.reason === 'access-policy'
        ? ActionErrorCodes.permissionMissing
        : ActionErrorCodes.failed;
  return new ActionError({ code, problem, ...context }, error);
}
