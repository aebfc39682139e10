import assert from 'node:assert/strict';
import {
  MESSAGE_SELECT,
  MappingError,
  mapInboundMessage,
  type GraphAttachmentLike,
  type InboundOptions,
} from '../../../src/mail/inbound';

const options: InboundOptions = {
  mailbox: 'orders@example.com',
  folder: 'inbox',
  bodyFormat: 'text',
  attachments: true,
};

function recipient(address: string, name = '') {
  return { emailAddress: { name, address } };
}

const rich = {
  id: 'AAMkAD=',
  subject: 'Order 42',
  body: { contentType: 'text', content: 'Please ship.' },
  from: recipient('jane@example.com', 'Jane'),
  sender: recipient('assistant@example.com'),
  toRecipients: [recipient('orders@example.com'), recipient('sales@example.com')],
  ccRecipients: [recipient('boss@example.com')],
  bccRecipients: [],
  replyTo: [recipient('reply@example.com')],
  receivedDateTime: '2025-03-04T05:06:07Z',
  internetMessageHeaders: [
    { name: 'Received', value: 'from a' },
    { name: 'Message-ID', value: '<m1@example.com>' },
    { name: 'received', value: 'from b' },
    { name: 'X-Order', value: '42' },
  ],
  internetMessageId: '<m1@example.com>',
  conversationId: 'conv-1',
  webLink: 'https://outlook.office365.com/owa/?ItemID=x',
  importance: 'High',
  hasAttachments: true,
  isRead: false,
};

describe('MESSAGE_SELECT', () => {
  it('asks Graph for every property the mapping reads', () => {
    for (const field of [
      'id',
      'subject',
      'body',
      'from',
      'sender',
      'toRecipients',
      'internetMessageHeaders',
      'replyTo',
    ]) {
      assert.ok(MESSAGE_SELECT.includes(field), field);
    }
    assert.equal(new Set(MESSAGE_SELECT).size, MESSAGE_SELECT.length);
  });
});

describe('mapInboundMessage', () => {
  it('maps a complete message to the node-red-node-email fields plus msg.o365', () => {
    const mail = mapInboundMessage(rich, [], options);
    assert.equal(mail.payload, 'Please ship.');
    assert.equal('html' in mail, false);
    assert.equal(mail.topic, 'Order 42');
    assert.equal(mail.from, 'jane@example.com');
    assert.equal(mail.to, 'orders@example.com, sales@example.com');
    assert.equal(mail.cc, 'boss@example.com');
    assert.equal(mail.bcc, '');
    assert.deepEqual(mail.date, new Date('2025-03-04T05:06:07Z'));
    assert.deepEqual(mail.o365, {
      id: 'AAMkAD=',
      internetMessageId: '<m1@example.com>',
      conversationId: 'conv-1',
      webLink: 'https://outlook.office365.com/owa/?ItemID=x',
      mailbox: 'orders@example.com',
      folder: 'inbox',
      importance: 'high',
      hasAttachments: true,
      receivedDateTime: '2025-03-04T05:06:07Z',
      replyTo: 'reply@example.com',
    });
  });

  it('joins repeated header names with ", " under their first spelling', () => {
    const { header } = mapInboundMessage(rich, [], options);
    assert.deepEqual(header, {
      Received: 'from a, from b',
      'Message-ID': '<m1@example.com>',
      'X-Order': '42',
    });
  });

  it('delivers the HTML body in payload and msg.html when bodyFormat is html', () => {
    const html = { ...rich, body: { contentType: 'html', content: '<p>Please <b>ship</b>.</p>' } };
    const mail = mapInboundMessage(html, [], { ...options, bodyFormat: 'html' });
    assert.equal(mail.payload, '<p>Please <b>ship</b>.</p>');
    assert.equal(mail.html, '<p>Please <b>ship</b>.</p>');
  });

  it('wraps a text body as HTML when HTML was asked for but Graph sent text', () => {
    const mail = mapInboundMessage({ ...rich, body: { contentType: 'text', content: 'a < b & c' } }, [], {
      ...options,
      bodyFormat: 'html',
    });
    assert.equal(mail.html, '<pre>a &lt; b &amp; c</pre>');
  });

  it('turns an HTML body into text when text was asked for but Graph sent HTML', () => {
    const body = {
      contentType: 'HTML',
      content: '<html><head><style>p{}</style></head><p>Hi&nbsp;&amp; bye</p><br>x</html>',
    };
    assert.equal(mapInboundMessage({ ...rich, body }, [], options).payload, 'Hi & bye\n\nx');
  });

  it('delivers file attachments as Buffers, inline ones too', () => {
    const attachments: GraphAttachmentLike[] = [
      {
        '@odata.type': '#microsoft.graph.fileAttachment',
        id: 'a1',
        name: 'report.pdf',
        contentType: 'application/pdf',
        size: 999,
        isInline: false,
        contentBytes: Buffer.from('%PDF').toString('base64'),
      },
      {
        '@odata.type': '#microsoft.graph.fileAttachment',
        name: 'logo.png',
        contentType: null,
        isInline: true,
        contentId: '<logo@x>',
        contentBytes: Buffer.from([1, 2, 3]).toString('base64'),
      },
    ];
    const mail = mapInboundMessage({ ...rich, hasAttachments: false }, attachments, options);
    assert.deepEqual(mail.attachments, [
      {
        filename: 'report.pdf',
        contentType: 'application/pdf',
        size: 4,
        content: Buffer.from('%PDF'),
        isInline: false,
        kind: 'file',
      },
      {
        filename: 'logo.png',
        contentType: 'image/png',
        size: 3,
        content: Buffer.from([1, 2, 3]),
        contentId: 'logo@x',
        isInline: true,
        kind: 'file',
      },
    ]);
    // Graph reports false when the only attachments are inline; Interlok then skipped them.
    assert.equal(mail.o365.hasAttachments, true);
    assert.equal(mail.o365.warnings, undefined);
  });

  it('names and types an attached contact .vcf text/vcard and an attached event .ics text/calendar', () => {
    const item = (name: string, text: string) => ({
      '@odata.type': '#microsoft.graph.itemAttachment',
      name,
      contentType: null,
      content: Buffer.from(text),
    });
    const mail = mapInboundMessage(
      rich,
      [
        item('Alex Wilbur', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alex Wilbur\r\nEND:VCARD\r\n'),
        item('Review.ics', '\uFEFF\r\nbegin:vcalendar\r\nEND:VCALENDAR\r\n'),
        item('', 'BEGIN:VCARD\r\nEND:VCARD\r\n'),
        item('Forwarded', 'Subject: BEGIN:VCARD\r\n\r\nbody'),
      ],
      options,
    );
    assert.deepEqual(
      mail.attachments.map((a) => [a.filename, a.contentType, a.kind]),
      [
        ['Alex Wilbur.vcf', 'text/vcard', 'item'],
        ['Review.ics', 'text/calendar', 'item'],
        ['attachment-3.vcf', 'text/vcard', 'item'],
        ['Forwarded.eml', 'message/rfc822', 'item'],
      ],
    );
  });

  it('delivers an item attachment as an .eml file and a reference attachment as a link', () => {
    const eml = Buffer.from('Subject: fwd\r\n\r\nbody');
    const mail = mapInboundMessage(
      rich,
      [
        {
          '@odata.type': '#microsoft.graph.itemAttachment',
          name: 'Forwarded mail',
          content: eml,
          size: 5000,
        },
        {
          '@odata.type': '#microsoft.graph.referenceAttachment',
          name: 'plan.docx',
          sourceUrl: 'https://sp/plan.docx',
          size: 10,
        },
      ],
      options,
    );
    assert.deepEqual(mail.attachments[0], {
      filename: 'Forwarded mail.eml',
      contentType: 'message/rfc822',
      size: eml.length,
      content: eml,
      isInline: false,
      kind: 'item',
    });
    assert.deepEqual(mail.attachments[1], {
      filename: 'plan.docx',
      contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      size: 10,
      isInline: false,
      kind: 'reference',
      url: 'https://sp/plan.docx',
    });
  });

  it('lists attachments without content when attachments are switched off', () => {
    const mail = mapInboundMessage(rich, [{ name: 'a.txt', size: 12, contentBytes: 'aGk=' }], {
      ...options,
      attachments: false,
    });
    assert.deepEqual(mail.attachments, [
      { filename: 'a.txt', contentType: 'text/plain', size: 12, isInline: false, kind: 'file' },
    ]);
    assert.equal(mail.o365.warnings, undefined);
  });

  it('strips directories from attachment names chosen by the sender', () => {
    const mail = mapInboundMessage(
      rich,
      [
        { name: '../../.ssh/authorized_keys', contentBytes: '' },
        { name: null, contentBytes: 'aGk=' },
      ],
      options,
    );
    assert.equal(mail.attachments[0].filename, 'authorized_keys');
    assert.equal(mail.attachments[1].filename, 'attachment-2');
  });

  it('maps a broken message as far as it can and lists what is missing', () => {
    const mail = mapInboundMessage(
      {
        id: 'x1',
        receivedDateTime: 'not a date',
        toRecipients: [null, { emailAddress: null }, recipient('a@example.com')],
      },
      [
        { name: 'broken.bin', contentBytes: '***' },
        { name: 'none.bin' },
        null as unknown as GraphAttachmentLike,
      ],
      options,
    );
    assert.equal(mail.payload, '');
    assert.equal(mail.topic, '');
    assert.equal(mail.from, '');
    assert.equal(mail.to, 'a@example.com');
    assert.equal(mail.cc, '');
    assert.ok(mail.date instanceof Date && !Number.isNaN(mail.date.getTime()));
    assert.deepEqual(mail.header, {});
    assert.deepEqual(
      mail.attachments.map((a) => [a.filename, a.content]),
      [
        ['broken.bin', undefined],
        ['none.bin', undefined],
      ],
    );
    assert.equal(mail.o365.importance, 'normal');
    assert.equal(mail.o365.internetMessageId, '');
    assert.deepEqual(mail.o365.warnings, [
      'the mail has no sender',
      'attachment "broken.bin" has no readable content',
      'attachment "none.bin" has no readable content',
      'the mail has no body',
      'the mail has no valid receivedDateTime; msg.date is the time it was read',
    ]);
  });

  it('falls back to the sender when from is missing, and to sentDateTime for the date', () => {
    const mail = mapInboundMessage(
      {
        id: 'x',
        sender: recipient('bot@example.com'),
        sentDateTime: '2025-01-01T00:00:00Z',
        body: { content: 'b' },
      },
      [],
      options,
    );
    assert.equal(mail.from, 'bot@example.com');
    assert.deepEqual(mail.date, new Date('2025-01-01T00:00:00Z'));
    assert.equal(mail.o365.warnings, undefined);
  });

  it('throws MappingError only when there is no id', () => {
    for (const message of [{}, { id: '' }, { id: 5 }, null, 'text']) {
      assert.throws(
        () => mapInboundMessage(message, [], options),
        (err: Error) => err instanceof MappingError && /id|not an object/.test(err.message),
      );
    }
  });
});
