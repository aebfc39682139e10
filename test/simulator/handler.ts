/** What every Graph handler receives and returns, and the strict request-body check they share. */
import { badRequest, GraphFailure } from './errors';
import type { TokenClaims } from './identity';
import { checkSchema } from './schemas';
import type { SimState } from './state';
import type { Mailbox } from './store';

/** One Graph operation: an HTTP request to /v1.0 or one item of a $batch. */
export interface GraphCall {
  method: string;
  /** Path below /v1.0, still percent-encoded, starting with '/'. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** Set when the body was present but not readable JSON. */
  bodyError?: string;
  bodyBytes: number;
  /** The body's bytes as sent (top-level requests; a MIME body is text/plain, not JSON). */
  raw?: Buffer;
  inBatch: boolean;
  requestId: string;
  clientRequestId: string;
}

export interface GraphReply {
  status: number;
  headers?: Record<string, string>;
  /** JSON value, a Buffer (raw bytes), or undefined (no body). */
  body?: unknown;
  /** Lenient $defs name the JSON body must conform to. */
  schema?: string;
}

export interface HandlerContext {
  state: SimState;
  call: GraphCall;
  mailbox: Mailbox;
  params: Record<string, string>;
  claims: TokenClaims;
  /** Only Mail.ReadBasic(.All): no bodies, no attachments. */
  basic: boolean;
}

/** Action parameters the strict schemas require (ajv reports their absence only as "must NOT be valid"). */
const REQUIRED_PARAMETER: Record<string, string> = {
  sendMailRequest: 'message',
  moveRequest: 'destinationId',
  copyRequest: 'destinationId',
  createUploadSessionRequest: 'AttachmentItem',
};

/** Reads and validates a JSON request body against a strict schema; throws Graph's 400. */
export function requireBody<T>(ctx: Pick<HandlerContext, 'state' | 'call'>, def: string): T {
  const { call, state } = ctx;
  if (call.bodyError) {
    throw badRequest(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  if (
    call.body === undefined ||
    call.body === null ||
    typeof call.body !== 'object' ||
    Array.isArray(call.body)
  ) {
    const why = call.body === undefined ? 'the body is missing' : 'the body is not a JSON object';
    state.schemaViolations.push({
      direction: 'request',
      schema: `strict#/$defs/${def}`,
      path: call.path,
      errors: [`/ ${why}`],
    });
    throw badRequest(
      call.body === undefined
        ? 'Empty Payload. JSON content expected.'
        : 'The request body must be a JSON object.',
      'ErrorInvalidRequest',
    );
  }
  const result = checkSchema('strict', def, call.body);
  if (!result.ok) {
    state.schemaViolations.push({
      direction: 'request',
      schema: result.schema,
      path: call.path,
      errors: result.errors,
    });
    const extra = /additional properties: '([^']+)'/.exec(result.errors[0] ?? '');
    const required = REQUIRED_PARAMETER[def];
    if (!extra && required && result.errors.some((e) => e.startsWith('/ must NOT be valid'))) {
      throw new GraphFailure(
        400,
        'ErrorInvalidParameter',
        `The required parameter '${required}' is missing.`,
      );
    }
    throw new GraphFailure(
      400,
      'RequestBodyRead',
      extra
        ? `The property '${extra[1]}' does not exist on type 'microsoft.graph.${typeAt(def, result.errors[0])}'. Make sure to only use property names that are defined by the type or mark the type as open type.`
        : `Invalid request body: ${result.errors.join('; ')}`,
    );
  }
  return call.body as T;
}

/** The Graph type an ajv error path points into, for Graph-like messages. */
function typeAt(def: string, error: string): string {
  const path = error.split(' ')[0];
  const last = path
    .split('/')
    .filter((p) => p && !/^\d+$/.test(p))
    .pop();
  const byProperty: Record<string, string> = {
    message: 'message',
    body: 'itemBody',
    from: 'recipient',
    sender: 'recipient',
    toRecipients: 'recipient',
    ccRecipients: 'recipient',
    bccRecipients: 'recipient',
    replyTo: 'recipient',
    emailAddress: 'emailAddress',
    attachments: 'attachment',
    internetMessageHeaders: 'internetMessageHeader',
    AttachmentItem: 'attachmentItem',
  };
  if (last && byProperty[last]) return byProperty[last];
  return def.replace(/Request$/, '').replace(/^sendMail$/, 'message');
}
