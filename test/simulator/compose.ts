/** Builds and updates stored messages from Graph request bodies (drafts, sendMail, PATCH, attachment POST). */
import { badRequest, GraphFailure } from './errors';
import { fileAttachment, newMessage, refreshDerived } from './store';
import { exchangeId, graphTime } from './ids';
import type { DateTimeTimeZone, FollowupFlag, Recipient, StoredAttachment, StoredMessage } from './types';

/** A message resource as a request body may carry it (already schema-validated). */
export interface MessageBody {
  subject?: string | null;
  body?: { contentType?: string | null; content?: string | null } | null;
  from?: Recipient | null;
  sender?: Recipient | null;
  toRecipients?: Recipient[] | null;
  ccRecipients?: Recipient[] | null;
  bccRecipients?: Recipient[] | null;
  replyTo?: Recipient[] | null;
  importance?: string | null;
  categories?: string[] | null;
  isRead?: boolean | null;
  isDeliveryReceiptRequested?: boolean | null;
  isReadReceiptRequested?: boolean | null;
  inferenceClassification?: string | null;
  flag?: {
    flagStatus?: string | null;
    startDateTime?: DateTimeTimeZone | null;
    dueDateTime?: DateTimeTimeZone | null;
    completedDateTime?: DateTimeTimeZone | null;
  } | null;
  internetMessageHeaders?: { name?: string | null; value?: string | null }[] | null;
  internetMessageId?: string | null;
  attachments?: AttachmentBody[];
  [key: string]: unknown;
}

export interface AttachmentBody {
  '@odata.type'?: string;
  name?: string | null;
  contentType?: string | null;
  contentBytes?: string | null;
  contentId?: string | null;
  isInline?: boolean;
  size?: number;
  item?: Record<string, unknown>;
  [key: string]: unknown;
}

function recipients(list: Recipient[] | null | undefined, field: string): Recipient[] {
  return (list ?? []).map((r, i) => {
    const address = r.emailAddress?.address?.trim();
    if (!address)
      throw badRequest(`${field}[${i}].emailAddress.address is required.`, 'ErrorInvalidRecipients');
    return { emailAddress: { name: r.emailAddress?.name ?? address, address } };
  });
}

function lower<T extends string>(value: string | null | undefined, fallback: T): T {
  return (value ? value.toLowerCase() : fallback) as T;
}

/** Graph refuses a message with more internetMessageHeaders than this. */
export const MAX_CUSTOM_HEADERS = 5;

/** Custom headers on send must be x- headers, at most 5, as Graph requires. */
function customHeaders(headers: MessageBody['internetMessageHeaders']): { name: string; value: string }[] {
  if ((headers ?? []).length > MAX_CUSTOM_HEADERS) {
    throw new GraphFailure(
      400,
      'InvalidInternetMessageHeaderCollection',
      `Maximum number of headers in one message should be less than or equal to ${MAX_CUSTOM_HEADERS}.`,
    );
  }
  return (headers ?? []).map((h) => {
    const name = h.name ?? '';
    if (!/^x-/i.test(name)) {
      throw new GraphFailure(
        400,
        'InvalidInternetMessageHeader',
        `The internet message header name '${name}' should start with 'x-' or 'X-'.`,
      );
    }
    return { name, value: h.value ?? '' };
  });
}

/** Turns an attachment body into a stored attachment; 400 when a file attachment lacks its bytes. */
export function attachmentFromBody(body: AttachmentBody): StoredAttachment {
  const type = (body['@odata.type'] ?? '').toLowerCase();
  const name = body.name ?? 'attachment';
  if (type === '#microsoft.graph.itemattachment') {
    const item = messageFromBody((body.item ?? {}) as MessageBody, {});
    return {
      '@odata.type': '#microsoft.graph.itemAttachment',
      id: exchangeId('AAMkAGA'),
      name,
      contentType: null,
      size: 2048 + item.body.content.length,
      isInline: false,
      lastModifiedDateTime: graphTime(Date.now()),
      content: Buffer.alloc(0),
      item,
    };
  }
  if (type === '#microsoft.graph.referenceattachment') {
    throw badRequest('Reference attachments cannot be created through this API.', 'ErrorInvalidRequest');
  }
  if (type !== '#microsoft.graph.fileattachment') {
    throw badRequest(
      "The '@odata.type' of an attachment must be '#microsoft.graph.fileAttachment' or '#microsoft.graph.itemAttachment'.",
      'ErrorInvalidRequest',
    );
  }
  if (typeof body.contentBytes !== 'string') {
    throw badRequest('The contentBytes property of a fileAttachment is required.', 'ErrorInvalidRequest');
  }
  const content = Buffer.from(body.contentBytes, 'base64');
  return fileAttachment(name, body.contentType ?? 'application/octet-stream', content, {
    isInline: body.isInline ?? false,
    contentId: body.contentId ?? null,
  });
}

/** A new stored message from a request body (draft or sendMail). */
export function messageFromBody(
  body: MessageBody,
  opts: { from?: Recipient; isDraft?: boolean },
): StoredMessage {
  const from = body.from ? recipients([body.from], 'from')[0] : (opts.from ?? null);
  const message = newMessage({
    subject: body.subject ?? '',
    body: { contentType: lower(body.body?.contentType, 'text'), content: body.body?.content ?? '' },
    from,
    sender: body.sender ? recipients([body.sender], 'sender')[0] : from,
    toRecipients: recipients(body.toRecipients, 'toRecipients'),
    ccRecipients: recipients(body.ccRecipients, 'ccRecipients'),
    bccRecipients: recipients(body.bccRecipients, 'bccRecipients'),
    replyTo: recipients(body.replyTo, 'replyTo'),
    importance: lower(body.importance, 'normal'),
    categories: body.categories ?? [],
    isRead: opts.isDraft ? true : (body.isRead ?? false),
    isDraft: opts.isDraft ?? false,
    isDeliveryReceiptRequested: body.isDeliveryReceiptRequested ?? false,
    isReadReceiptRequested: body.isReadReceiptRequested ?? false,
    flag: followupFlag(body.flag, { flagStatus: 'notFlagged' }),
    internetMessageHeaders: customHeaders(body.internetMessageHeaders),
    attachments: (body.attachments ?? []).map(attachmentFromBody),
  });
  if (body.internetMessageId) message.internetMessageId = body.internetMessageId;
  refreshDerived(message);
  return message;
}

const DRAFT_ONLY = [
  'subject',
  'body',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'from',
  'sender',
  'internetMessageHeaders',
];

const FLAG_STATUSES: FollowupFlag['flagStatus'][] = ['notFlagged', 'flagged', 'complete'];

/**
 * A followupFlag from a request: the status in Graph's own spelling (enums are matched case-insensitively on input),
 * the dates as given. Clearing the flag drops its dates. Assumption: Exchange's own filling in of dates (a due date
 * for "flagged", the completion time for "complete") is not modelled; dates appear only when a client sends them.
 */
function followupFlag(given: MessageBody['flag'], current: FollowupFlag): FollowupFlag {
  const status = given?.flagStatus
    ? (FLAG_STATUSES.find((s) => s.toLowerCase() === given.flagStatus?.toLowerCase()) ?? current.flagStatus)
    : current.flagStatus;
  if (status === 'notFlagged') return { flagStatus: status };
  const flag: FollowupFlag = { ...current, flagStatus: status };
  for (const key of ['startDateTime', 'dueDateTime', 'completedDateTime'] as const) {
    const value = given?.[key];
    if (value === null) delete flag[key];
    else if (value) flag[key] = { dateTime: value.dateTime, timeZone: value.timeZone };
  }
  if (status === 'flagged') delete flag.completedDateTime;
  return flag;
}

/** Applies a PATCH body; drafts may change everything, received mail only flags such as isRead. */
export function applyPatch(message: StoredMessage, patch: MessageBody): void {
  if (!message.isDraft) {
    const blocked = DRAFT_ONLY.find((key) => key in patch);
    if (blocked) {
      throw new GraphFailure(
        400,
        'ErrorInvalidPropertyUpdateSentMessage',
        `The property '${blocked}' can be updated only while the message is a draft (isDraft = true).`,
      );
    }
  }
  if (typeof patch.isRead === 'boolean') message.isRead = patch.isRead;
  if (patch.categories) message.categories = [...patch.categories];
  if (patch.importance) message.importance = lower(patch.importance, 'normal');
  if (patch.flag) message.flag = followupFlag(patch.flag, message.flag);
  if (patch.inferenceClassification)
    message.inferenceClassification = lower(patch.inferenceClassification, 'focused');
  if (typeof patch.isDeliveryReceiptRequested === 'boolean')
    message.isDeliveryReceiptRequested = patch.isDeliveryReceiptRequested;
  if (typeof patch.isReadReceiptRequested === 'boolean')
    message.isReadReceiptRequested = patch.isReadReceiptRequested;
  if (patch.subject !== undefined) message.subject = patch.subject ?? '';
  if (patch.body !== undefined) {
    message.body = {
      contentType: lower(patch.body?.contentType, 'text'),
      content: patch.body?.content ?? '',
    };
  }
  if (patch.toRecipients !== undefined) message.toRecipients = recipients(patch.toRecipients, 'toRecipients');
  if (patch.ccRecipients !== undefined) message.ccRecipients = recipients(patch.ccRecipients, 'ccRecipients');
  if (patch.bccRecipients !== undefined)
    message.bccRecipients = recipients(patch.bccRecipients, 'bccRecipients');
  if (patch.replyTo !== undefined) message.replyTo = recipients(patch.replyTo, 'replyTo');
  if (patch.from !== undefined) message.from = patch.from ? recipients([patch.from], 'from')[0] : null;
  if (patch.internetMessageHeaders !== undefined)
    message.internetMessageHeaders = customHeaders(patch.internetMessageHeaders);
  refreshDerived(message);
}
