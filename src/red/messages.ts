/**
 * What a node says about a problem, in words from the catalogues, built from the error's fields (the property at
 * fault, the missing folder, the mail's id, the send outcome). The one place errors become a node's sentences.
 */
import type { ActionError } from '../act/errors';
import { ActionErrorCodes, ErrorCodes, SendErrorCodes } from '../graph/error-codes';
import { ConfigError, GraphError, messageOf } from '../graph/errors';
import type { MailError, Notice } from '../receive';
import type { SendError } from '../send/errors';
import { CronError, type CronProblem } from '../schedule';
import { catalogueText } from './catalogue';
import type { AccountNode, NodeRED } from './types';

export type NodeType = 'o365-mail-in' | 'o365-mail-out' | 'o365-mail-action';

/** Settings problems a node names in words of its own (`<type>.errors.<key>`), by property. */
const SETTING_KEYS: Record<NodeType, Record<string, string>> = {
  'o365-mail-in': {
    username: 'no-mailbox',
    moveTo: 'move-needs-folder',
    cron: 'bad-cron',
    interval: 'bad-interval',
  },
  'o365-mail-out': {},
  'o365-mail-action': {},
};

/** A setting that cannot work: the node's own words for the property when it has them, else the error's. */
export function settingsProblemText(RED: NodeRED, type: NodeType, err: unknown): string {
  const key = err instanceof ConfigError && err.property ? SETTING_KEYS[type][err.property] : undefined;
  if (!key) return messageOf(err);
  const error = err instanceof CronError ? cronProblemWords(RED, err.problem) : (err as ConfigError).detail;
  return catalogueText(RED, `${type}.errors.${key}`, { error: error ?? messageOf(err) });
}

/** A cron expression's problem in the user's language (`o365-mail-in.cron-problem.*`, the field's name translated). */
export function cronProblemWords(RED: NodeRED, problem: CronProblem): string {
  const field = problem.field ? catalogueText(RED, `o365-mail-in.cron-field.${problem.field}`) : '';
  return catalogueText(RED, `o365-mail-in.cron-problem.${problem.code}`, { ...problem, field });
}

/** No config node, or one that no longer exists. */
export function noAccountText(RED: NodeRED, type: NodeType): string {
  return catalogueText(RED, `${type}.errors.no-account`);
}

/** What a mail node starts from: its account and settings, or the problem (in the user's words) that stops it. */
export type NodeStart<S> =
  | { account: AccountNode; settings: S; problem?: undefined }
  | { account: AccountNode | null; settings?: undefined; problem: string };

/**
 * Finds a mail node's account and reads its settings with `read` (told whether the account signs a user in, whose own
 * mailbox is then the default); a missing account or a setting that cannot work becomes the node's problem.
 */
export function nodeStart<S>(
  RED: NodeRED,
  type: NodeType,
  config: { account?: string },
  read: (delegated: boolean) => S,
): NodeStart<S> {
  const account = config.account ? (RED.nodes.getNode(config.account) as AccountNode | null) : null;
  if (!account) return { account, problem: noAccountText(RED, type) };
  try {
    return { account, settings: read(!!account.delegated) };
  } catch (err) {
    return { account, problem: settingsProblemText(RED, type, err) };
  }
}

/** Why a poll stopped; a missing folder names its segment and path. */
export function pollProblemText(RED: NodeRED, err: unknown): string {
  if (err instanceof GraphError && err.code === ErrorCodes.folderNotFound && err.folder) {
    const { segment, path } = err.folder;
    return catalogueText(RED, 'o365-mail-in.errors.folder-not-found', { segment, path });
  }
  return messageOf(err) || String(err);
}

/** A mail that could not be read or sent on. */
export function mailFailedText(RED: NodeRED, err: MailError): string {
  return catalogueText(RED, 'o365-mail-in.errors.mail-failed', {
    id: err.mailId,
    error: messageOf(err.cause),
  });
}

/** A warning of the receive engine. */
export function noticeText(RED: NodeRED, notice: Notice): string {
  return catalogueText(RED, `o365-mail-in.errors.${notice.key}`, notice.subs);
}

/** A status-sized reason for a mail Microsoft 365 did not explain: the bad input itself, a closed node, the outcome. */
export function sendProblemText(RED: NodeRED, err: SendError): string {
  if (err.code === SendErrorCodes.badInput) return err.problem;
  const key = err.code === SendErrorCodes.closed ? 'closed' : err.outcome;
  return catalogueText(RED, `o365-mail-out.status.${key}`);
}

/** Status keys (`o365-mail-action.status.*`) of the action failures Microsoft 365 did not explain. */
const ACTION_PROBLEM_KEYS: Partial<Record<string, string>> = {
  [ActionErrorCodes.mailNotFound]: 'mail-not-found',
  [ActionErrorCodes.mailAmbiguous]: 'mail-ambiguous',
  [ActionErrorCodes.unknownOperation]: 'unknown-operation',
  [ActionErrorCodes.closed]: 'closed',
};

/** A status-sized reason for an action Microsoft 365 did not explain: a missing mail, an unknown operation, bad input. */
export function actionProblemText(RED: NodeRED, err: ActionError): string {
  const key = ACTION_PROBLEM_KEYS[err.code];
  return key ? catalogueText(RED, `o365-mail-action.status.${key}`) : err.problem;
}

/** An error Node-RED could not pass to Catch nodes (its message cannot be copied). */
export function notCaughtText(RED: NodeRED, type: NodeType, err: Error, why: unknown): string {
  return catalogueText(RED, `${type}.errors.not-caught`, {
    error: err.message,
    reason: messageOf(why),
  });
}
