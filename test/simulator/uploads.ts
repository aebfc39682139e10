/** Upload session URLs: ordered PUTs of byte ranges that become a file attachment of a draft. */
import { GraphFailure, graphErrorBody, notFound } from './errors';
import { delay, DropConnection } from './faults';
import { graphTime } from './ids';
import { faultReply, type Outcome } from './router';
import type { SimState } from './state';
import { fileAttachment, refreshDerived } from './store';
import { UPLOAD_SESSION_MS } from './graph-attachments';

export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

export interface UploadRequest {
  method: string;
  sessionId: string;
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
  clientRequestId: string;
}

function fail(req: UploadRequest, failure: GraphFailure, mailbox: string | null): Outcome {
  return {
    reply: {
      status: failure.status,
      headers: failure.headers,
      body: graphErrorBody(failure.code, failure.message, req.requestId, req.clientRequestId),
      schema: 'odataError',
    },
    operation: 'uploadChunk',
    mailbox,
  };
}

/** Answers one PUT to an upload URL. */
export async function uploadChunk(state: SimState, req: UploadRequest): Promise<Outcome> {
  state.countOperation('uploadChunk');
  const session = state.uploads.get(req.sessionId);
  const mailbox = session?.mailbox ?? null;
  if (!session || session.expired || session.expiresAt < Date.now()) return fail(req, notFound(), mailbox);
  if (req.headers.authorization !== undefined) {
    return fail(
      req,
      new GraphFailure(
        401,
        'InvalidAuthenticationToken',
        'The upload URL carries its own token; do not send an Authorization header.',
      ),
      mailbox,
    );
  }
  if (req.method !== 'PUT')
    return fail(
      req,
      new GraphFailure(405, 'BadRequest', `The HTTP method '${req.method}' is not allowed.`),
      mailbox,
    );
  const rule = state.faults.take({
    operation: 'uploadChunk',
    method: req.method,
    mailbox,
    path: `/upload/${req.sessionId}`,
    inBatch: false,
  });
  if (rule?.kind === 'throttle') {
    return fail(
      req,
      new GraphFailure(
        429,
        'ApplicationThrottled',
        'Application is over its MailboxConcurrency limit.',
        rule.retryAfter === null ? {} : { 'Retry-After': String(rule.retryAfter) },
      ),
      mailbox,
    );
  }
  if (rule?.kind === 'fail') {
    return fail(
      req,
      new GraphFailure(
        rule.status,
        rule.code,
        'The service is temporarily unavailable. Please retry later.',
        rule.retryAfter === null ? {} : { 'Retry-After': String(rule.retryAfter) },
      ),
      mailbox,
    );
  }
  if (rule?.kind === 'drop' && !rule.after) throw new DropConnection();
  if (rule?.kind === 'slow') await delay(rule.delayMs);
  try {
    state.uploadVolume.admit(`${session.appId}|${session.mailbox}`, req.body.length);
    const outcome = await state.limits.run(session.mailbox, async () => applyChunk(state, req));
    if (rule?.kind === 'drop') throw new DropConnection();
    // The chunk was stored; the answer is an error anyway.
    if (rule?.kind === 'failAfter') throw faultReply(rule) as GraphFailure;
    return { ...outcome, mailbox, malformed: rule?.kind === 'malformed' };
  } catch (err) {
    if (err instanceof GraphFailure) {
      if (err.status === 429) state.counters.throttled++;
      return fail(req, err, mailbox);
    }
    throw err;
  }
}

function applyChunk(state: SimState, req: UploadRequest): Outcome {
  const session = state.uploads.get(req.sessionId);
  if (!session) throw notFound();
  const rangeError = (why: string): GraphFailure =>
    new GraphFailure(
      416,
      'InvalidRange',
      `${why} The next expected range starts at byte ${session.received}.`,
      {},
    );
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
  if (!m) throw rangeError("The Content-Range header is missing or not of the form 'bytes a-b/total'.");
  const [from, to, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (req.body.length > MAX_CHUNK_BYTES) {
    throw new GraphFailure(
      413,
      'ErrorRequestEntityTooLarge',
      `A chunk may be at most ${MAX_CHUNK_BYTES} bytes.`,
    );
  }
  if (total !== session.size)
    throw rangeError(`The total size ${total} does not match the session size ${session.size}.`);
  if (from !== session.received) throw rangeError(`The range starts at byte ${from}.`);
  if (to < from || to >= total || to - from + 1 !== req.body.length) {
    throw rangeError(`The range ${from}-${to} does not match the ${req.body.length} bytes sent.`);
  }
  if (
    req.headers['content-length'] !== undefined &&
    Number(req.headers['content-length']) !== req.body.length
  ) {
    throw rangeError('The Content-Length does not match the body.');
  }
  const target = state.store.findMailbox(session.mailbox)?.messages.get(session.messageId);
  if (target) {
    try {
      // Exchange stores the bytes as they come: the chunk that takes the item over MaxSendSize fails (docs issue 15579).
      state.checkMessageSize(session.mailbox, target.message, session.received + req.body.length);
    } catch (err) {
      state.uploads.delete(session.id);
      throw err;
    }
  }
  session.chunks.push(req.body);
  session.received += req.body.length;
  session.expiresAt = Date.now() + UPLOAD_SESSION_MS;
  if (session.received < session.size) {
    return {
      reply: {
        status: 200,
        body: {
          expirationDateTime: graphTime(session.expiresAt),
          nextExpectedRanges: [`${session.received}`],
        },
        schema: 'uploadSession',
      },
      operation: 'uploadChunk',
      mailbox: session.mailbox,
    };
  }
  state.uploads.delete(session.id);
  const mailbox = state.store.findMailbox(session.mailbox);
  const record = mailbox?.messages.get(session.messageId);
  if (!mailbox || !record) throw notFound();
  const attachment = fileAttachment(
    session.name,
    session.contentType,
    Buffer.concat(session.chunks, session.size),
    {
      isInline: session.isInline,
      contentId: session.contentId,
    },
  );
  record.message.attachments.push(attachment);
  refreshDerived(record.message);
  state.store.touch(record);
  return {
    reply: { status: 201, headers: { Location: attachment.id } },
    operation: 'uploadChunk',
    mailbox: session.mailbox,
  };
}
