import assert from 'node:assert/strict';
import { SendError } from '../../../src/send/errors';
import { ConfigError } from '../../../src/graph/errors';
import type { MailOutProperties } from '../../../src/red/properties';
import { Evaluate, readSendSettings, resolveSend } from '../../../src/send/input';

/** A stand-in for RED.util.evaluateNodeProperty: str literal, msg.<path>, and a fake 'jsonata' that upper-cases. */
function evaluator(msg: Record<string, unknown>, calls: string[] = []): Evaluate {
  return async (value, type) => {
    calls.push(`${type}:${value}`);
    if (type === 'str') return value;
    if (type === 'msg')
      return value.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], msg);
    if (type === 'jsonata') {
      if (value.includes('(')) throw new Error('Expected ")"');
      return value.toUpperCase();
    }
    throw new Error(`unsupported type ${type}`);
  };
}

const base: MailOutProperties = { username: 'sender@contoso.example', usernameType: 'str' };

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SendError);
    assert.equal(err.code, 'BadInput');
    assert.match(err.message, pattern);
    assert.match(err.message, /nothing was sent$/);
    return true;
  });
}

describe('readSendSettings', () => {
  it('defaults to saving in Sent Items and auto-detecting HTML, and keeps each field with its type', () => {
    const settings = readSendSettings({ subject: 'Hi', toRecipients: 'to', toRecipientsType: 'msg' });
    assert.equal(settings.save, true);
    assert.equal(settings.bodyType, 'auto');
    assert.deepEqual(settings.fields.subject, { value: 'Hi', type: 'str' });
    assert.deepEqual(settings.fields.toRecipients, { value: 'to', type: 'msg' });
    assert.deepEqual(settings.fields.username, { value: '', type: 'str' });
  });

  it('reads save as a boolean or as the text a hand-written flow may hold; empty is the default', () => {
    assert.equal(readSendSettings({ save: false }).save, false);
    assert.equal(readSendSettings({ save: 'false' }).save, false);
    assert.equal(readSendSettings({ save: 'true' }).save, true);
    assert.equal(readSendSettings({ save: '' }).save, true);
  });

  it('rejects an unknown body type or save value by name', () => {
    const names = (property: string) => (err: unknown) =>
      err instanceof ConfigError && err.property === property;
    assert.throws(() => readSendSettings({ bodyType: 'markdown' }), names('bodyType'));
    assert.throws(
      () => readSendSettings({ bodyType: 'markdown' }),
      /bodyType must be one of 'auto', 'text', 'html'/,
    );
    assert.throws(() => readSendSettings({ save: 'no' }), names('save'));
  });
});

describe('resolveSend', () => {
  it('falls back to msg.topic, msg.to, msg.cc and msg.bcc for empty fields', async () => {
    const msg = { topic: 'T', to: 'a@x.example', cc: ['b@x.example'], bcc: 'c@x.example', payload: 'hi' };
    const calls: string[] = [];
    const { mailbox, request } = await resolveSend(
      readSendSettings({ ...base, subject: '', toRecipients: '  ', subjectType: 'str' }),
      msg,
      evaluator(msg, calls),
    );
    assert.equal(mailbox, 'sender@contoso.example');
    assert.equal(request.subject, 'T');
    assert.equal(request.to, 'a@x.example');
    assert.deepEqual(request.cc, ['b@x.example']);
    assert.equal(request.bcc, 'c@x.example');
    assert.deepEqual(calls, ['str:sender@contoso.example'], 'empty fields are not evaluated');
  });

  it('evaluates each field with its own type, per message, and prefers it over the msg fallback', async () => {
    const msg = {
      topic: 'ignored',
      to: 'ignored@x.example',
      order: { owner: 'o@x.example', mailbox: 'm@x.example' },
    };
    const { mailbox, request } = await resolveSend(
      readSendSettings({
        username: 'order.mailbox',
        usernameType: 'msg',
        subject: 'subject here',
        subjectType: 'jsonata',
        toRecipients: 'order.owner',
        toRecipientsType: 'msg',
        ccRecipients: 'x@x.example; y@x.example',
        bccRecipients: 'z@x.example',
        bccRecipientsType: 'str',
      }),
      msg,
      evaluator(msg),
    );
    assert.equal(mailbox, 'm@x.example');
    assert.equal(request.subject, 'SUBJECT HERE');
    assert.equal(request.to, 'o@x.example');
    assert.equal(request.cc, 'x@x.example; y@x.example', 'a field without a type is a plain string');
    assert.equal(request.bcc, 'z@x.example');
  });

  it('passes the message-only inputs through for the mail builder', async () => {
    const msg = {
      payload: Buffer.from('pdf'),
      filename: 'r.pdf',
      replyTo: 'r@x.example',
      from: 'shared@x.example',
      importance: 'high',
      priority: 5,
      headers: { 'X-Order': 1 },
      attachments: [{ filename: 'a.txt', content: 'A' }],
    };
    const { request } = await resolveSend(
      readSendSettings({ ...base, bodyType: 'html' }),
      msg,
      evaluator(msg),
    );
    assert.equal(request.payload, msg.payload);
    assert.equal(request.filename, 'r.pdf');
    assert.equal(request.replyTo, 'r@x.example');
    assert.equal(request.from, 'shared@x.example');
    assert.equal(request.importance, 'high');
    assert.equal(request.priority, 5);
    assert.equal(request.headers, msg.headers);
    assert.equal(request.attachments, msg.attachments);
    assert.equal(request.bodyType, 'html');
  });

  it('trims the mailbox and insists on one', async () => {
    const msg = { box: '  m@x.example ' };
    const { mailbox } = await resolveSend(
      readSendSettings({ username: 'box', usernameType: 'msg' }),
      msg,
      evaluator(msg),
    );
    assert.equal(mailbox, 'm@x.example');
    await rejects(
      resolveSend(readSendSettings({ username: '' }), {}, evaluator({})),
      /no sending mailbox \(username\)/,
    );
    await rejects(
      resolveSend(readSendSettings({ username: 'missing', usernameType: 'msg' }), {}, evaluator({})),
      /no sending mailbox/,
    );
    await rejects(
      resolveSend(readSendSettings({ username: 'n', usernameType: 'msg' }), { n: 42 }, evaluator({ n: 42 })),
      /username: expected the mailbox as text, got number/,
    );
  });

  it('names the field whose expression cannot be evaluated', async () => {
    await rejects(
      resolveSend(readSendSettings({ ...base, subject: 'foo(', subjectType: 'jsonata' }), {}, evaluator({})),
      /subject: could not evaluate jsonata "foo\(": Expected "\)"/,
    );
  });
});
