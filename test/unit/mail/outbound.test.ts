import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import type { OutgoingAttachment } from '../../../src/mail/attachments';
import { loadSchemas } from '../../simulator/schemas';
import {
  MAX_MESSAGE_BYTES,
  messageSize,
  SEND_MAIL_LIMIT_BYTES,
  UPLOAD_SESSION_THRESHOLD,
  buildOutgoingMail,
  fileAttachmentBody,
  planSend,
  sendMailRequestBody,
  sendMailRequestSize,
  uploadSessionRequestBody,
  type OutgoingMail,
  type SendRequestInput,
} from '../../../src/mail/outbound';

const schema = strictSchema();

function strictSchema() {
  const found = loadSchemas().find((s) => s.$id === 'urn:example:graph-mail-v1-strict');
  if (!found) throw new Error('no strict Graph schema');
  return found;
}
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(schema);

function validator(name: string) {
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${name}`);
  assert.ok(validate, `schema has ${name}`);
  return (body: unknown) => {
    const ok = validate(body);
    assert.ok(ok, `${name} invalid: ${ajv.errorsText(validate.errors)}`);
  };
}
const validSendMail = validator('sendMailRequest');
const validMessage = validator('message');
const validFileAttachment = validator('fileAttachment');
const validUploadSession = validator('createUploadSessionRequest');

function input(overrides: Partial<SendRequestInput> = {}): SendRequestInput {
  return {
    subject: 'Hello',
    to: 'jane@example.com',
    cc: '',
    bcc: '',
    payload: 'Hi Jane',
    bodyType: 'auto',
    ...overrides,
  };
}

function attachment(size: number, name = `file-${size}.bin`): OutgoingAttachment {
  return { name, contentType: 'application/octet-stream', content: Buffer.alloc(size, 7), isInline: false };
}

function mailWith(attachments: OutgoingAttachment[], body = 'Hi'): OutgoingMail {
  const mail = buildOutgoingMail(input({ payload: body }));
  return { ...mail, attachments };
}

describe('buildOutgoingMail', () => {
  it('builds a plain text mail that Graph accepts', () => {
    const mail = buildOutgoingMail(input({ cc: 'Bob <bob@example.com>', bcc: ['eve@example.com'] }));
    assert.deepEqual(mail.message, {
      subject: 'Hello',
      body: { contentType: 'text', content: 'Hi Jane' },
      toRecipients: [{ emailAddress: { address: 'jane@example.com' } }],
      ccRecipients: [{ emailAddress: { name: 'Bob', address: 'bob@example.com' } }],
      bccRecipients: [{ emailAddress: { address: 'eve@example.com' } }],
    });
    assert.deepEqual(mail.attachments, []);
    assert.deepEqual(mail.warnings, []);
    validMessage(mail.message);
  });

  it('sends HTML as HTML when it looks like HTML (Interlok always sent text)', () => {
    assert.equal(buildOutgoingMail(input({ payload: '<p>Hi</p>' })).message.body.contentType, 'html');
    assert.equal(
      buildOutgoingMail(input({ payload: '<p>Hi</p>', bodyType: 'text' })).message.body.contentType,
      'text',
    );
  });

  it('sets reply-to, from and importance when given', () => {
    const mail = buildOutgoingMail(
      input({
        replyTo: 'a@example.com; b@example.com',
        from: 'Shared <shared@example.com>',
        importance: 'HIGH',
      }),
    );
    assert.deepEqual(mail.message.replyTo, [
      { emailAddress: { address: 'a@example.com' } },
      { emailAddress: { address: 'b@example.com' } },
    ]);
    assert.deepEqual(mail.message.from, { emailAddress: { name: 'Shared', address: 'shared@example.com' } });
    assert.equal(mail.message.importance, 'high');
    validMessage(mail.message);
  });

  it('leaves reply-to, from, importance and headers out when not given', () => {
    const message = buildOutgoingMail(input({ replyTo: '', from: null, importance: '' })).message;
    for (const key of ['replyTo', 'from', 'importance', 'internetMessageHeaders'])
      assert.equal(key in message, false, key);
  });

  it("maps node-red-node-email's msg.priority to importance", () => {
    const cases: [unknown, string][] = [
      ['high', 'high'],
      ['1', 'high'],
      [2, 'high'],
      ['normal', 'normal'],
      [3, 'normal'],
      ['low', 'low'],
      ['4', 'low'],
      [5, 'low'],
    ];
    for (const [priority, expected] of cases) {
      assert.equal(buildOutgoingMail(input({ priority })).message.importance, expected, String(priority));
    }
    assert.equal(buildOutgoingMail(input({ importance: 'low', priority: 1 })).message.importance, 'low');
  });

  it('refuses an unknown importance or priority, naming it', () => {
    assert.throws(
      () => buildOutgoingMail(input({ importance: 'urgent' })),
      /^RangeError: importance: "urgent" is not valid/,
    );
    assert.throws(() => buildOutgoingMail(input({ priority: 9 })), /^RangeError: priority: 9 is not valid/);
    assert.throws(() => buildOutgoingMail(input({ importance: { a: 1 } })), /importance: .* is not valid/);
  });

  it('refuses more than one from address', () => {
    assert.throws(
      () => buildOutgoingMail(input({ from: 'a@example.com, b@example.com' })),
      /from: only one address/,
    );
  });

  it('keeps X- headers, stringifies values and warns about the dropped ones', () => {
    const mail = buildOutgoingMail(
      input({
        headers: {
          'X-Order': 42,
          'x-flag': true,
          'X-Json': { a: 1 },
          Subject: 'nope',
          'X-Bad': 'a\r\nBcc: evil@example.com',
          'X-Empty': null,
          'X-Bad Name': 'v',
        },
      }),
    );
    assert.deepEqual(mail.message.internetMessageHeaders, [
      { name: 'X-Order', value: '42' },
      { name: 'x-flag', value: 'true' },
      { name: 'X-Json', value: '{"a":1}' },
    ]);
    assert.equal(mail.warnings.length, 4);
    assert.match(
      mail.warnings.join('\n'),
      /"Subject" dropped: Graph only accepts custom headers whose names start with X-/,
    );
    assert.match(mail.warnings.join('\n'), /"X-Bad" dropped: its value contains a line break/);
    assert.match(mail.warnings.join('\n'), /"X-Empty" dropped/);
    assert.match(mail.warnings.join('\n'), /"X-Bad Name" dropped/);
    validMessage(mail.message);
  });

  it('refuses headers that are not an object', () => {
    assert.throws(
      () => buildOutgoingMail(input({ headers: 'X-A: 1' })),
      /^TypeError: headers must be an object/,
    );
    assert.throws(
      () => buildOutgoingMail(input({ headers: [['X-A', '1']] })),
      /headers must be an object.*got array/,
    );
  });

  it('folds line breaks in the subject into spaces and converts other types', () => {
    assert.equal(
      buildOutgoingMail(input({ subject: 'Order\r\n  42\nshipped\r' })).message.subject,
      'Order 42 shipped ',
    );
    assert.equal(buildOutgoingMail(input({ subject: 42 })).message.subject, '42');
    assert.equal(buildOutgoingMail(input({ subject: undefined })).message.subject, '');
  });

  it('turns a Buffer payload with a filename into an attachment with an empty body', () => {
    const pdf = Buffer.from('%PDF-1.4');
    const mail = buildOutgoingMail(
      input({
        payload: pdf,
        filename: '/data/out/report.pdf',
        attachments: [{ filename: 'b.txt', content: 'b' }],
      }),
    );
    assert.deepEqual(mail.message.body, { contentType: 'text', content: '' });
    assert.deepEqual(
      mail.attachments.map((a) => [a.name, a.contentType]),
      [
        ['report.pdf', 'application/pdf'],
        ['b.txt', 'text/plain'],
      ],
    );
    assert.equal(mail.attachments[0].content, pdf);
  });

  it('uses a Buffer payload without a filename as the text body', () => {
    const mail = buildOutgoingMail(input({ payload: Buffer.from('body text') }));
    assert.equal(mail.message.body.content, 'body text');
    assert.deepEqual(mail.attachments, []);
  });

  it('refuses a mail without recipients, bad addresses and too many recipients', () => {
    assert.throws(
      () => buildOutgoingMail(input({ to: '', cc: null, bcc: [] })),
      /no recipient: set To, Cc or Bcc/,
    );
    assert.throws(
      () => buildOutgoingMail(input({ cc: 'bob@' })),
      /^RecipientError: cc: "bob@" is not an e-mail address/,
    );
    const many = Array.from({ length: 501 }, (_, i) => `u${i}@example.com`);
    assert.throws(() => buildOutgoingMail(input({ to: many })), /too many recipients: 501/);
  });

  it('passes attachment errors through with the attachment named', () => {
    assert.throws(
      () => buildOutgoingMail(input({ attachments: [{ filename: 'x', path: '/etc/passwd' }] })),
      /attachments\[0\] \("x"\): "path" is not supported/,
    );
  });
});

describe('sendMail request', () => {
  it('base64-encodes each attachment exactly once and validates against the strict schema', () => {
    const mail = buildOutgoingMail(
      input({
        payload: '<p>see <img src="cid:logo"></p>',
        attachments: [
          { filename: 'a.txt', content: 'hello' },
          { filename: 'logo.png', content: Buffer.from([137, 80, 78, 71]), cid: 'logo' },
        ],
      }),
    );
    const body = sendMailRequestBody(mail, false) as {
      message: { attachments: Record<string, unknown>[] };
      saveToSentItems: boolean;
    };
    validSendMail(body);
    assert.equal(body.saveToSentItems, false);
    assert.deepEqual(body.message.attachments[0], {
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: 'a.txt',
      contentType: 'text/plain',
      contentBytes: Buffer.from('hello').toString('base64'),
      isInline: false,
    });
    assert.equal(
      Buffer.from(body.message.attachments[0].contentBytes as string, 'base64').toString(),
      'hello',
    );
    assert.equal(body.message.attachments[1].contentId, 'logo');
    assert.equal(body.message.attachments[1].isInline, true);
  });

  it('leaves out the attachments list when there are none', () => {
    const body = sendMailRequestBody(buildOutgoingMail(input()), true) as { message: object };
    assert.equal('attachments' in body.message, false);
    validSendMail(body);
  });

  it('computes the request size byte for byte without encoding', () => {
    const cases: OutgoingMail[] = [
      buildOutgoingMail(input()),
      buildOutgoingMail(input({ subject: 'Grüße “quoted” \\ / \u0001', payload: 'ünïcödé ✓ 😀' })),
      mailWith([
        attachment(0),
        attachment(1),
        attachment(2),
        attachment(3),
        attachment(1000, 'naïve "name".bin'),
      ]),
      {
        ...mailWith([attachment(5)]),
        attachments: [{ ...attachment(5), isInline: true, contentId: 'c"id' }],
      },
    ];
    for (const mail of cases) {
      for (const save of [true, false]) {
        const json = JSON.stringify(sendMailRequestBody(mail, save));
        assert.equal(sendMailRequestSize(mail, save), Buffer.byteLength(json, 'utf8'));
      }
    }
  });

  it('builds attachment and upload-session bodies that Graph accepts', () => {
    const inline: OutgoingAttachment = {
      ...attachment(10, 'logo.png'),
      contentType: 'image/png',
      isInline: true,
      contentId: 'logo',
    };
    validFileAttachment(fileAttachmentBody(inline));
    assert.equal(
      (fileAttachmentBody(inline) as { contentBytes: string }).contentBytes,
      inline.content.toString('base64'),
    );
    const session = uploadSessionRequestBody(attachment(5 * 1024 * 1024));
    validUploadSession(session);
    assert.deepEqual(session, {
      AttachmentItem: {
        attachmentType: 'file',
        name: 'file-5242880.bin',
        size: 5242880,
        contentType: 'application/octet-stream',
        isInline: false,
      },
    });
  });
});

describe('planSend', () => {
  it('sends directly while the whole request fits 4 MB', () => {
    assert.deepEqual(planSend(buildOutgoingMail(input()), true), { path: 'sendMail' });
    assert.deepEqual(planSend(mailWith([attachment(2 * 1024 * 1024)]), true), { path: 'sendMail' });
  });

  it('switches to a draft at the exact byte where the request passes 4 MB', () => {
    const overhead = sendMailRequestSize(mailWith([attachment(0)]), true);
    // Largest attachment whose base64 still fits: 4 * ceil(n / 3) <= limit - overhead.
    const fitting = Math.floor((SEND_MAIL_LIMIT_BYTES - overhead) / 4) * 3;
    const fits = mailWith([attachment(fitting, 'file-0.bin')]);
    const over = mailWith([attachment(fitting + 1, 'file-0.bin')]);
    assert.ok(sendMailRequestSize(fits, true) <= SEND_MAIL_LIMIT_BYTES);
    assert.ok(sendMailRequestSize(over, true) > SEND_MAIL_LIMIT_BYTES);
    assert.deepEqual(planSend(fits, true), { path: 'sendMail' });
    assert.equal(planSend(over, true).path, 'draft');
  });

  it("keeps every planned request 256 KiB under Graph's 4 MiB", () => {
    assert.equal(SEND_MAIL_LIMIT_BYTES, 4 * 1024 * 1024 - 256 * 1024);
  });

  it('posts attachments under 3 MB and uploads the others in a session', () => {
    const small = attachment(1024 * 1024);
    // Under 3 MB and, base64-encoded in its JSON, within the planned request size.
    const justUnder = attachment(UPLOAD_SESSION_THRESHOLD - 400 * 1024);
    const atThreshold = attachment(UPLOAD_SESSION_THRESHOLD);
    const big = attachment(20 * 1024 * 1024);
    const plan = planSend(mailWith([small, justUnder, atThreshold, big]), true);
    assert.deepEqual(plan, { path: 'draft', small: [small, justUnder], large: [atThreshold, big] });
  });

  it('uploads an attachment just under 3 MB whose base64 request would pass 4 MB', () => {
    const edge = attachment(UPLOAD_SESSION_THRESHOLD - 1);
    assert.ok(Buffer.byteLength(JSON.stringify(fileAttachmentBody(edge))) > SEND_MAIL_LIMIT_BYTES);
    assert.deepEqual(planSend(mailWith([edge]), true), { path: 'draft', small: [], large: [edge] });
  });

  it('sends many small attachments that together pass 4 MB through a draft', () => {
    const parts = Array.from({ length: 5 }, (_, i) => attachment(1024 * 1024, `part-${i}.bin`));
    assert.deepEqual(planSend(mailWith(parts), false), { path: 'draft', small: parts, large: [] });
  });

  it("plans a mail of any size: the maximum message size is the send engine's to check", () => {
    const huge = { ...attachment(0), content: Buffer.alloc(MAX_MESSAGE_BYTES + 1) };
    assert.equal(planSend(mailWith([huge]), true).path, 'draft');
  });

  it('refuses a body that alone passes the request size, suggesting an attachment', () => {
    const mail = mailWith([attachment(10)], 'x'.repeat(SEND_MAIL_LIMIT_BYTES + 1));
    assert.throws(
      () => planSend(mail, true),
      /more than the 3932160 bytes the node sends in one request \(Graph takes at most 4 MB\); send large content as an attachment/,
    );
  });
});

describe('messageSize', () => {
  it('counts what Exchange holds against MaxSendSize: text, attachments base64-encoded, 1 KB of headers', () => {
    const mail = mailWith([attachment(3000), attachment(1)], 'hello');
    const expected = 1024 + Buffer.byteLength(mail.message.subject) + 5 + 4000 + 4;
    assert.equal(messageSize(mail), expected);
  });
});

describe('buildOutgoingMail with random input (property)', () => {
  const scalar = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.emailAddress(),
    fc.constantFrom(
      'Jane <jane@example.com>',
      '"Doe, J" <j@example.com>; k@example.org',
      'bad@',
      'a\r\n@b.co',
    ),
  );
  const recipients = fc.oneof(
    scalar,
    fc.array(
      fc.oneof(scalar, fc.emailAddress(), fc.record({ name: fc.string(), address: fc.emailAddress() })),
    ),
    fc.record({ address: fc.oneof(fc.emailAddress(), fc.string()) }),
  );
  const attachmentShape = fc.record(
    {
      filename: fc.oneof(fc.string(), fc.constant('../x.pdf')),
      content: fc.oneof(
        fc.string(),
        fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
        fc.integer(),
      ),
      encoding: fc.constantFrom('utf8', 'base64', 'hex', 'latin1', 'bogus'),
      contentType: fc.string(),
      cid: fc.string(),
      path: fc.constant('/etc/passwd'),
    },
    { requiredKeys: [] },
  );
  const request = fc.record({
    subject: fc.oneof(scalar, fc.object()),
    to: recipients,
    cc: recipients,
    bcc: recipients,
    replyTo: recipients,
    from: fc.oneof(fc.constant(undefined), fc.emailAddress(), scalar),
    importance: fc.oneof(fc.constant(undefined), fc.constantFrom('low', 'Normal', 'HIGH', 'urgent'), scalar),
    priority: fc.oneof(fc.constant(undefined), fc.constantFrom(1, 2, 3, 4, 5, '1', 'high', 9)),
    headers: fc.oneof(
      fc.constant(undefined),
      fc.dictionary(fc.string(), fc.oneof(scalar, fc.object())),
      scalar,
    ),
    payload: fc.oneof(
      scalar,
      fc.object(),
      fc.date(),
      fc.uint8Array().map((u) => Buffer.from(u)),
    ),
    filename: fc.oneof(fc.constant(undefined), fc.string()),
    attachments: fc.oneof(fc.constant(undefined), fc.array(attachmentShape, { maxLength: 3 }), scalar),
    bodyType: fc.constantFrom('auto', 'text', 'html') as fc.Arbitrary<'auto' | 'text' | 'html'>,
  });

  it('gives a schema-valid sendMail body or a clear Error, never anything else', () => {
    let built = 0;
    fc.assert(
      fc.property(request, fc.boolean(), (req, save) => {
        let mail: OutgoingMail;
        try {
          mail = buildOutgoingMail(req);
        } catch (err) {
          assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`);
          assert.ok(err.message.length > 10, `unclear message: ${err.message}`);
          assert.doesNotMatch(err.message, /undefined is not|cannot read prop|is not a function/i);
          return;
        }
        built++;
        validSendMail(sendMailRequestBody(mail, save));
        assert.equal(
          sendMailRequestSize(mail, save),
          Buffer.byteLength(JSON.stringify(sendMailRequestBody(mail, save))),
        );
      }),
      { numRuns: 400 },
    );
    assert.ok(built > 0, 'some random requests were valid');
  });
});
