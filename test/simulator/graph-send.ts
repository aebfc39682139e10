/** Graph handlers that send mail: sendMail and draft /send, with delivery to simulated mailboxes. */
import { messageFromBody, type MessageBody } from './compose';
import { badRequest, GraphFailure } from './errors';
import { pathFolder } from './graph-folders';
import { pathMessage } from './graph-messages';
import { exchangeId, graphTime } from './ids';
import { requireBody, type GraphReply, type HandlerContext } from './handler';
import type { SimState } from './state';
import { parseMime } from './mime-parse';
import { cloneMessage, defaultHeaders, newMessage, refreshDerived, type Mailbox } from './store';
import type { StoredMessage } from './types';

const ADDRESS = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;

function checkRecipients(message: StoredMessage): void {
  const all = [...message.toRecipients, ...message.ccRecipients, ...message.bccRecipients];
  if (all.length === 0) {
    throw badRequest('At least one recipient is required, but none were found.', 'ErrorInvalidRecipients');
  }
  const invalid = all.find((r) => !ADDRESS.test(r.emailAddress.address));
  if (invalid) {
    throw badRequest(
      `At least one recipient is not valid., Recipient '${invalid.emailAddress.address}' is not resolved. All recipients must be resolved before a message can be submitted.`,
      'ErrorInvalidRecipients',
    );
  }
}

function checkSendAs(mailbox: Mailbox, message: StoredMessage): void {
  const from = message.from?.emailAddress.address.toLowerCase();
  if (from && from !== mailbox.address && !mailbox.sendAs.has(from)) {
    throw new GraphFailure(
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
    );
  }
}

/** Puts the sent copy in Sent Items (when asked) and a received copy in each simulated recipient's inbox. */
export function deliver(
  state: SimState,
  sender: Mailbox,
  message: StoredMessage,
  opts: { saveToSentItems: boolean; via: 'sendMail' | 'draft' },
): void {
  const now = graphTime(Date.now());
  message.isDraft = false;
  message.sentDateTime = now;
  message.receivedDateTime = now;
  if (!message.from) message.from = { emailAddress: { name: sender.displayName, address: sender.address } };
  if (!message.sender) message.sender = message.from;
  const custom = message.internetMessageHeaders;
  refreshDerived(message);
  const store = state.store;
  if (opts.saveToSentItems) {
    const copy = cloneMessage(message);
    copy.id = exchangeId();
    copy.isRead = true;
    copy.internetMessageHeaders = [];
    const file = () =>
      store.insert(
        sender,
        store.findFolder(sender, 'sentitems') as NonNullable<ReturnType<typeof store.findFolder>>,
        copy,
      );
    // Exchange files the copy once transport has the mail (quirk sentItemsLagMs); unref'd: never holds a test up.
    const lag = state.quirks.sentItemsLagMs;
    if (lag > 0) setTimeout(file, lag).unref();
    else file();
  }
  const addresses = new Set(
    [...message.toRecipients, ...message.ccRecipients, ...message.bccRecipients].map((r) =>
      r.emailAddress.address.toLowerCase(),
    ),
  );
  for (const address of addresses) {
    const recipient = store.findMailbox(address);
    if (!recipient || recipient.state !== 'active' || recipient.address !== address) continue;
    const copy = cloneMessage(message);
    copy.id = exchangeId();
    copy.isRead = false;
    copy.bccRecipients = [];
    copy.internetMessageHeaders = defaultHeaders(
      copy,
      Object.fromEntries(custom.map((h) => [h.name, h.value])),
    );
    refreshDerived(copy);
    store.insert(
      recipient,
      store.findFolder(recipient, 'inbox') as NonNullable<ReturnType<typeof store.findFolder>>,
      copy,
    );
  }
  state.sent.push({
    mailbox: sender.address,
    via: opts.via,
    saveToSentItems: opts.saveToSentItems,
    message: cloneMessage(message),
    at: new Date(),
  });
}

/**
 * sendMail with a MIME body (`Content-Type: text/plain`, the mail base64-encoded): Exchange reads recipients, subject,
 * body and attachments from the MIME; the Sent Items copy is kept (the MIME form has no saveToSentItems).
 */
function sendMime(ctx: HandlerContext): GraphReply {
  const text = (ctx.call.raw ?? Buffer.alloc(0)).toString('latin1').replace(/\s+/g, '');
  if (text === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw badRequest('Invalid base64 string for MIME content.', 'ErrorMimeContentInvalidBase64String');
  }
  const mime = parseMime(Buffer.from(text, 'base64'));
  const own = { emailAddress: { name: ctx.mailbox.displayName, address: ctx.mailbox.address } };
  const message = newMessage({
    subject: mime.subject,
    body: mime.body,
    from: mime.from ?? own,
    sender: mime.from ?? own,
    toRecipients: mime.to,
    ccRecipients: mime.cc,
    bccRecipients: mime.bcc,
    replyTo: mime.replyTo,
    importance: mime.importance,
    attachments: mime.attachments,
    // The MIME's own X- headers travel with it (no limit of 5: that is the JSON internetMessageHeaders' rule).
    internetMessageHeaders: mime.headers.filter((h) => /^x-/i.test(h.name)),
  });
  if (mime.messageId) message.internetMessageId = mime.messageId;
  if (mime.inReplyTo) message.inReplyTo = mime.inReplyTo;
  if (mime.references) message.references = mime.references;
  refreshDerived(message);
  checkRecipients(message);
  checkSendAs(ctx.mailbox, message);
  ctx.state.checkMessageSize(ctx.mailbox.address, message);
  deliver(ctx.state, ctx.mailbox, message, { saveToSentItems: true, via: 'sendMail' });
  return { status: 202 };
}

export function sendMail(ctx: HandlerContext): GraphReply {
  if (/^text\/plain/i.test(ctx.call.headers['content-type'] ?? '')) return sendMime(ctx);
  const body = requireBody<Record<string, unknown>>(ctx, 'sendMailRequest');
  const param = (name: string): unknown => Object.entries(body).find(([k]) => k.toLowerCase() === name)?.[1];
  const save = param('savetosentitems');
  const message = messageFromBody(param('message') as MessageBody, {
    from: { emailAddress: { name: ctx.mailbox.displayName, address: ctx.mailbox.address } },
  });
  checkRecipients(message);
  checkSendAs(ctx.mailbox, message);
  ctx.state.checkMessageSize(ctx.mailbox.address, message);
  deliver(ctx.state, ctx.mailbox, message, {
    saveToSentItems: !(save === false || String(save).toLowerCase() === 'false'),
    via: 'sendMail',
  });
  return { status: 202 };
}

export function sendDraft(ctx: HandlerContext): GraphReply {
  const record = pathMessage(ctx);
  if (
    ctx.call.bodyBytes > 0 &&
    ctx.call.body !== undefined &&
    Object.keys(ctx.call.body as object).length > 0
  ) {
    throw badRequest('The send action takes no parameters.', 'RequestBodyRead');
  }
  const message = record.message;
  if (!message.isDraft) {
    throw badRequest('Only a draft message can be sent.', 'ErrorInvalidOperation');
  }
  checkRecipients(message);
  checkSendAs(ctx.mailbox, message);
  pathFolder(ctx, 'drafts');
  ctx.state.store.remove(ctx.mailbox, message.id);
  // Graph always keeps a copy in Sent Items on this path (saveToSentItems does not apply).
  deliver(ctx.state, ctx.mailbox, cloneMessage(message), { saveToSentItems: true, via: 'draft' });
  return { status: 202 };
}
