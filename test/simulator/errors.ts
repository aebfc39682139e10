/** Graph and Entra error answers, with the codes and messages the real services use. */

/** A Graph error answer: thrown by handlers, turned into Graph's error body by the router. */
export class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Wait this long before answering (a gateway that gave up late). */
    readonly delayMs = 0,
  ) {
    super(message);
  }
}

export const notFound = (): GraphFailure =>
  new GraphFailure(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

export const badRequest = (message: string, code = 'BadRequest'): GraphFailure =>
  new GraphFailure(400, code, message);

export const invalidRequestBody = (detail: string): GraphFailure =>
  new GraphFailure(400, 'ErrorInvalidRequest', `The request body is invalid: ${detail}`);

export const accessDenied = (): GraphFailure =>
  new GraphFailure(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');

export const tooLarge = (): GraphFailure =>
  new GraphFailure(413, 'BadRequest', 'The maximum request length supported is 4MB.');

/** Exchange refuses an item over the mailbox's maximum message size (MaxSendSize). */
export const messageTooLarge = (): GraphFailure =>
  new GraphFailure(
    400,
    'ErrorMessageSizeExceeded',
    'The message exceeds the maximum supported size., Cannot save changes made to an item to store.',
  );

export const throttled = (
  limit: 'MailboxConcurrency' | 'MailboxRate' | 'MailboxUpload',
  retryAfter: number | null,
): GraphFailure =>
  new GraphFailure(
    429,
    'ApplicationThrottled',
    `Application is over its ${limit} limit.`,
    retryAfter === null ? {} : { 'Retry-After': String(retryAfter) },
  );

/** Graph's error body. */
export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
): { error: { code: string; message: string; innerError: Record<string, string> } } {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

/** An Entra (AADSTS) token endpoint error. */
export class TokenFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    readonly description: string,
    /** Entra's `suberror` (consent_required, basic_action, bad_token...), which msal reads. */
    readonly suberror?: string,
  ) {
    super(`AADSTS${aadsts}: ${description}`);
  }
}

/** Entra's error body, with the trace and correlation ids it always carries. */
export function tokenErrorBody(
  failure: TokenFailure,
  traceId: string,
  correlationId: string,
): Record<string, unknown> {
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return {
    error: failure.error,
    error_description: `AADSTS${failure.aadsts}: ${failure.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [failure.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${failure.aadsts}`,
    ...(failure.suberror ? { suberror: failure.suberror } : {}),
  };
}
