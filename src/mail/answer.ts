/**
 * Answers in a thread (mail out's `mode` reply, replyAll, forward): how the flow's text and fields go onto the draft
 * Graph made with createReply / createReplyAll / createForward, the way Outlook users expect:
 * - the text goes above the quoted original (the draft's body, which Graph wrote);
 * - To, Cc and Bcc given by the flow add to the recipients Graph chose (reply: the sender; reply all: everyone);
 * - a subject given by the flow replaces Graph's "RE: ..." / "FW: ...".
 * Pure: no Graph access.
 */
import { escapeHtml, htmlToText } from './body';
import type { GraphRecipient } from './outbound';

export type AnswerMode = 'reply' | 'replyAll' | 'forward';

export const ANSWER_MODES: readonly AnswerMode[] = ['reply', 'replyAll', 'forward'];

interface Body {
  contentType: 'text' | 'html';
  content: string;
}

/** The flow's text as HTML: HTML as it is (its own html/body wrapper dropped), text escaped with line breaks. */
function asHtml(text: Body): string {
  if (text.contentType === 'html') {
    const inner = /<body[^>]*>([\s\S]*)<\/body>/i.exec(text.content);
    return inner ? inner[1] : text.content;
  }
  return escapeHtml(text.content).replace(/\r?\n/g, '<br>\r\n');
}

/**
 * The draft's body with the flow's text above the quoted original: in an HTML draft as the first element of its
 * body (inside a div, as Outlook writes it), in a text draft as the first lines followed by an empty line.
 */
export function textAboveQuote(draft: Body, text: Body): Body {
  if (text.content === '') return draft;
  if (draft.contentType === 'text') {
    const plain = text.contentType === 'html' ? htmlToText(text.content) : text.content;
    return { contentType: 'text', content: `${plain}\r\n\r\n${draft.content}` };
  }
  const block = `<div>${asHtml(text)}</div>\r\n`;
  const body = /<body[^>]*>/i.exec(draft.content);
  const at = body ? body.index + body[0].length : 0;
  // An empty first div (where Outlook puts the cursor) makes way for the text.
  const after = draft.content.slice(at).replace(/^\s*<div>\s*<\/div>/i, '');
  return {
    contentType: 'html',
    content: `${draft.content.slice(0, at)}${body ? '\r\n' : ''}${block}${after}`,
  };
}

/** Graph's recipients, then the flow's that are not among them yet (addresses compared without regard to case). */
export function addRecipients(
  defaults: GraphRecipient[] | undefined,
  added: GraphRecipient[],
): GraphRecipient[] {
  const out = [...(defaults ?? [])];
  const known = new Set(out.map((r) => r.emailAddress.address.toLowerCase()));
  for (const r of added) {
    const key = r.emailAddress.address.toLowerCase();
    if (!known.has(key)) {
      known.add(key);
      out.push(r);
    }
  }
  return out;
}
