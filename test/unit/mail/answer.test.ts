import assert from 'node:assert/strict';
import { addRecipients, textAboveQuote } from '../../../src/mail/answer';

const DRAFT =
  '<html>\r\n<head></head>\r\n<body>\r\n<div></div>\r\n<hr><div id="divRplyFwdMsg"><b>From:</b> Boss</div>\r\n<div>Original</div>\r\n</body>\r\n</html>';
const r = (address: string) => ({ emailAddress: { address } });

describe('answers in a thread', () => {
  it('puts text above the quote of an HTML draft, escaped, with line breaks, in place of the empty first div', () => {
    const { contentType, content } = textAboveQuote(
      { contentType: 'html', content: DRAFT },
      { contentType: 'text', content: 'Thanks <Boss>,\nsee below.' },
    );
    assert.equal(contentType, 'html');
    assert.match(content, /<body>\r\n<div>Thanks &lt;Boss&gt;,<br>\r\nsee below\.<\/div>\r\n\r\n<hr>/);
    assert.ok(content.indexOf('Thanks') < content.indexOf('divRplyFwdMsg'));
    assert.doesNotMatch(content, /<div><\/div>/);
  });

  it('puts HTML above the quote without its own html and body wrapper', () => {
    const { content } = textAboveQuote(
      { contentType: 'html', content: DRAFT },
      { contentType: 'html', content: '<html><body><p>Hi <b>there</b></p></body></html>' },
    );
    assert.match(content, /<body>\r\n<div><p>Hi <b>there<\/b><\/p><\/div>/);
    assert.equal(content.match(/<body/g)?.length, 1);
  });

  it('puts text first in a text draft, and HTML as its text', () => {
    const draft = { contentType: 'text' as const, content: '> original' };
    assert.equal(
      textAboveQuote(draft, { contentType: 'text', content: 'Hi' }).content,
      'Hi\r\n\r\n> original',
    );
    assert.equal(
      textAboveQuote(draft, { contentType: 'html', content: '<p>Hi &amp; bye</p>' }).content,
      'Hi & bye\r\n\r\n> original',
    );
  });

  it('leaves the draft as Graph wrote it when there is no text', () => {
    const draft = { contentType: 'html' as const, content: DRAFT };
    assert.deepEqual(textAboveQuote(draft, { contentType: 'text', content: '' }), draft);
  });

  it("adds the flow's recipients to Graph's, each address once", () => {
    assert.deepEqual(addRecipients([r('Boss@x.example')], [r('boss@x.example'), r('peer@x.example')]), [
      r('Boss@x.example'),
      r('peer@x.example'),
    ]);
    assert.deepEqual(addRecipients(undefined, [r('a@x.example')]), [r('a@x.example')]);
  });
});
