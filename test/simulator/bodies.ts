/** Body conversions Exchange performs for `Prefer: outlook.body-content-type` and for bodyPreview. */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain text of an HTML body, roughly as Exchange renders it. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table)>/gi, '\n')
    .replace(/<li[^>]*>/gi, '* ')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text)
    .replace(/\r\n/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** HTML wrapping of a text body, as Exchange produces for text mail read as HTML. */
export function textToHtml(text: string): string {
  const paragraphs = escapeHtml(text).replace(/\r?\n/g, '<br>\r\n');
  return (
    '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n' +
    `<body>\r\n<div>${paragraphs}</div>\r\n</body>\r\n</html>\r\n`
  );
}

/** First 255 characters of the text, whitespace collapsed, as Graph's bodyPreview. */
export function preview(contentType: 'text' | 'html', content: string): string {
  const text = contentType === 'html' ? htmlToText(content) : content;
  return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}

/** Converts a body to the wanted type; unchanged when it already is. */
export function convertBody(
  body: { contentType: 'text' | 'html'; content: string },
  wanted: 'text' | 'html' | undefined,
): { contentType: 'text' | 'html'; content: string } {
  if (!wanted || wanted === body.contentType) return { ...body };
  return wanted === 'text'
    ? { contentType: 'text', content: htmlToText(body.content) }
    : { contentType: 'html', content: textToHtml(body.content) };
}
