/** msg.payload -> Graph itemBody, with HTML detection for bodyType 'auto'. */

export type BodyType = 'auto' | 'text' | 'html';

const HTML_TAG =
  /<\/?(?:html|head|body|title|meta|style|p|br|hr|div|span|table|thead|tbody|tr|td|th|ul|ol|li|h[1-6]|b|i|u|s|strong|em|small|img|pre|code|font|center|blockquote|section|article|header|footer|nav)(?:\s[^<>]*)?\/?>/i;
const LINK = /<a\s[^<>]*href\s*=/i;
const DOCTYPE_OR_COMMENT = /<!doctype\s+html|<!--[\s\S]*?-->/i;
const ENTITY = /&(?:[a-z][a-z0-9]{1,31}|#\d{1,7}|#x[0-9a-f]{1,6});/i;

/** True when the text contains HTML markup (known tags, links, doctype, entities); "a < b > c" is not HTML. */
export function looksLikeHtml(text: string): boolean {
  if (typeof text !== 'string') return false;
  return HTML_TAG.test(text) || LINK.test(text) || DOCTYPE_OR_COMMENT.test(text) || ENTITY.test(text);
}

function payloadToText(payload: unknown): string {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'string') return payload;
  if (typeof payload === 'number' || typeof payload === 'boolean' || typeof payload === 'bigint')
    return String(payload);
  if (Buffer.isBuffer(payload) || payload instanceof Uint8Array) return Buffer.from(payload).toString('utf8');
  if (payload instanceof Date) {
    if (Number.isNaN(payload.getTime())) throw new TypeError('payload is an invalid Date');
    return payload.toISOString();
  }
  if (typeof payload === 'object') {
    try {
      return JSON.stringify(payload, null, 2) ?? '';
    } catch (err) {
      // Circular structures and BigInt values cannot become JSON; say so instead of JSON.stringify's own wording.
      throw new TypeError(`payload cannot be converted to JSON for the mail body: ${(err as Error).message}`);
    }
  }
  throw new TypeError(`payload of type ${typeof payload} cannot be used as a mail body`);
}

/**
 * msg.payload -> Graph itemBody. string as is; number/boolean -> String(); null/undefined -> ''; Date -> ISO; objects/arrays
 * -> JSON.stringify(x, null, 2) (circular -> error naming payload); Buffer -> utf8 text (the caller handles Buffer+filename).
 * bodyType 'auto' picks html when looksLikeHtml.
 */
export function payloadToBody(
  payload: unknown,
  bodyType: BodyType,
): { contentType: 'text' | 'html'; content: string } {
  if (bodyType !== 'auto' && bodyType !== 'text' && bodyType !== 'html') {
    throw new RangeError(`bodyType must be 'auto', 'text' or 'html', got ${JSON.stringify(bodyType)}`);
  }
  const content = payloadToText(payload);
  const contentType = bodyType === 'auto' ? (looksLikeHtml(content) ? 'html' : 'text') : bodyType;
  return { contentType, content };
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}

/** A plain-text rendering of HTML (line breaks for block ends, entities decoded). */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h[1-6])>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
