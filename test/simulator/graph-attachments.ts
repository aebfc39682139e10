/** Graph handlers for attachments: list, get, $value, add, and large-file upload sessions. */
import * as crypto from 'node:crypto';
import { attachmentFromBody, type AttachmentBody } from './compose';
import { badRequest, GraphFailure, notFound } from './errors';
import { contextUrl } from './graph-folders';
import { pathMessage } from './graph-messages';
import { graphTime } from './ids';
import { renderICalendar, renderMime, renderVCard } from './mime';
import { requireBody, type GraphReply, type HandlerContext } from './handler';
import { refreshDerived } from './store';
import type { StoredAttachment } from './types';
import { attachmentView } from './views';

/** Upload sessions stay valid this long after the last chunk (Outlook: about 15 minutes). */
export const UPLOAD_SESSION_MS = 15 * 60 * 1000;
/** The largest attachment an upload session accepts (Outlook: 150 MB). */
export const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;

function pathAttachment(ctx: HandlerContext): StoredAttachment {
  const record = pathMessage(ctx);
  const attachment = record.message.attachments.find((a) => a.id === ctx.params.attachment);
  if (!attachment) throw notFound();
  return attachment;
}

function expandsItem(ctx: HandlerContext): boolean {
  const expand = ctx.call.query.$expand ?? ctx.call.query.expand;
  return expand !== undefined && /(^|,)\s*(microsoft\.graph\.itemattachment\/)?item\s*($|,)/i.test(expand);
}

export function listAttachments(ctx: HandlerContext): GraphReply {
  const record = pathMessage(ctx);
  const expandItem = expandsItem(ctx);
  return {
    status: 200,
    body: {
      '@odata.context': contextUrl(ctx, `messages('${record.message.id}')/attachments`),
      value: record.message.attachments.map((a) => attachmentView(a, { expandItem })),
    },
    schema: 'attachmentCollectionResponse',
  };
}

export function getAttachment(ctx: HandlerContext): GraphReply {
  const attachment = pathAttachment(ctx);
  return {
    status: 200,
    body: {
      '@odata.context': contextUrl(ctx, `messages('${ctx.params.id}')/attachments/$entity`),
      ...attachmentView(attachment, { expandItem: expandsItem(ctx) }),
    },
    schema: 'attachmentAny',
  };
}

export function getAttachmentValue(ctx: HandlerContext): GraphReply {
  const attachment = pathAttachment(ctx);
  // Item attachments: MIME for a message, vCard for a contact, iCalendar for an event (attachment-get page).
  if (attachment['@odata.type'] === '#microsoft.graph.itemAttachment') {
    const raw = attachment.contact
      ? Buffer.from(renderVCard(attachment.contact), 'utf8')
      : attachment.event
        ? Buffer.from(renderICalendar(attachment.event), 'utf8')
        : attachment.item
          ? renderMime(attachment.item)
          : Buffer.alloc(0);
    return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: raw };
  }
  if (attachment['@odata.type'] === '#microsoft.graph.referenceAttachment') {
    // "Attempting to get the $value of a reference attachment returns HTTP 405."
    throw new GraphFailure(
      405,
      'ErrorInvalidRequest',
      'The $value of a reference attachment is not available.',
    );
  }
  return {
    status: 200,
    headers: { 'Content-Type': attachment.contentType ?? 'application/octet-stream' },
    body: attachment.content,
  };
}

export function addAttachment(ctx: HandlerContext): GraphReply {
  const body = requireBody<AttachmentBody>(ctx, 'attachmentAny');
  const record = pathMessage(ctx);
  const attachment = attachmentFromBody(body);
  ctx.state.checkMessageSize(ctx.mailbox.address, {
    ...record.message,
    attachments: [...record.message.attachments, attachment],
  });
  record.message.attachments.push(attachment);
  refreshDerived(record.message);
  ctx.state.store.touch(record);
  return {
    status: 201,
    body: {
      '@odata.context': contextUrl(ctx, `messages('${record.message.id}')/attachments/$entity`),
      ...attachmentView(attachment),
    },
    schema: 'attachmentAny',
  };
}

export function createUploadSession(ctx: HandlerContext): GraphReply {
  const body = requireBody<Record<string, Record<string, unknown>>>(ctx, 'createUploadSessionRequest');
  const item = Object.entries(body).find(([k]) => k.toLowerCase() === 'attachmentitem')?.[1] ?? {};
  const record = pathMessage(ctx);
  if (String(item.attachmentType ?? '').toLowerCase() !== 'file') {
    throw badRequest("AttachmentItem.attachmentType must be 'file'.", 'ErrorInvalidRequest');
  }
  const size = item.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    throw badRequest('AttachmentItem.size must be a positive whole number of bytes.', 'ErrorInvalidRequest');
  }
  if (size > MAX_ATTACHMENT_BYTES) {
    throw new GraphFailure(
      400,
      'ErrorAttachmentSizeLimitExceeded',
      `The attachment size ${size} exceeds the maximum of ${MAX_ATTACHMENT_BYTES} bytes.`,
    );
  }
  if (typeof item.name !== 'string' || !item.name)
    throw badRequest('AttachmentItem.name is required.', 'ErrorInvalidRequest');
  const id = crypto.randomBytes(24).toString('base64url');
  const expiresAt = Date.now() + UPLOAD_SESSION_MS;
  ctx.state.uploads.set(id, {
    id,
    appId: ctx.claims.appid,
    mailbox: ctx.mailbox.address,
    messageId: record.message.id,
    name: item.name,
    size,
    contentType: typeof item.contentType === 'string' ? item.contentType : 'application/octet-stream',
    isInline: item.isInline === true,
    contentId: typeof item.contentId === 'string' ? item.contentId : null,
    chunks: [],
    received: 0,
    expiresAt,
    expired: false,
  });
  return {
    status: 201,
    body: {
      '@odata.context': `${ctx.state.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
      uploadUrl: `${ctx.state.baseUrl}/upload/AttachmentSessions/${id}?authtoken=${crypto.randomBytes(16).toString('hex')}`,
      expirationDateTime: graphTime(expiresAt),
      nextExpectedRanges: ['0-'],
    },
    schema: 'uploadSession',
  };
}
