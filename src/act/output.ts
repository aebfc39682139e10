/**
 * The output message of o365-mail-action: the input message with `msg.o365` updated to where the mail is now and
 * what was done; `get` sets the fields mail in sets, `getMime` sets `msg.payload` to the .eml. Pure.
 */
import { inboundMessage } from '../mail/inbound';
import type { ActionRequest, ActionResult } from './actor';

/** Changes `msg` in place into the output message of the action. */
export function applyActionResult(
  msg: Record<string, unknown>,
  mailbox: string,
  request: ActionRequest,
  result: ActionResult,
): void {
  const before = isObject(msg.o365) ? msg.o365 : {};
  let o365: Record<string, unknown> = { ...before, id: result.id, mailbox, operation: request.operation };
  if (request.mail.internetMessageId) o365.internetMessageId = request.mail.internetMessageId;
  if (result.mail) {
    // The fields mail in sets replace the message's own; an html of an earlier mail must not stay behind.
    const { o365: _mailO365, ...fields } = inboundMessage(result.mail);
    if (result.mail.html === undefined) delete msg.html;
    Object.assign(msg, fields);
    o365 = { ...before, ...result.mail.o365, operation: request.operation };
    if (!result.mail.o365.folder) delete o365.folder;
  }
  if (result.mime) msg.payload = result.mime;
  if (result.previousId !== undefined) o365.previousId = result.previousId;
  if (result.folder !== undefined) o365.folder = result.folder;
  if (result.foundByInternetMessageId) o365.foundByInternetMessageId = true;
  if (result.isRead !== undefined) o365.isRead = result.isRead;
  if (result.flagStatus !== undefined) o365.flagStatus = result.flagStatus;
  if (result.categories !== undefined) o365.categories = result.categories;
  if (result.deleted) o365.deleted = true;
  msg.o365 = o365;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
