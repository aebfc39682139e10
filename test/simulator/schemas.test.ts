import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Identity } from './identity';
import { finish } from './router';
import { checkSchema } from './schemas';
import { SimState } from './state';
import { MailStore } from './store';

const LOCAL = path.join(__dirname, 'schemas');
const SHARED = path.resolve(__dirname, '../../../shared/graph-schemas');

describe('simulator: Graph JSON Schemas', () => {
  it('the copy in test/simulator/schemas equals /work/shared/graph-schemas', function () {
    if (!fs.existsSync(SHARED)) {
      console.log(`      (skipped: ${SHARED} is absent)`);
      this.skip();
    }
    const local = fs
      .readdirSync(LOCAL)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const shared = fs
      .readdirSync(SHARED)
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.deepEqual(local, shared);
    for (const file of local) {
      assert.equal(
        fs.readFileSync(path.join(LOCAL, file), 'utf8'),
        fs.readFileSync(path.join(SHARED, file), 'utf8'),
        file,
      );
    }
  });

  it('the additions only add to the shared schemas, except the defs they list as replaced, and name their source', () => {
    const dir = path.join(__dirname, 'schema-additions');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.additions.json'));
    assert.deepEqual(files.sort(), [
      'aad-token.additions.json',
      'graph-mail.v1.additions.json',
      'graph-mail.v1.strict.additions.json',
    ]);
    for (const file of files) {
      const additions = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
        extends: string;
        description: string;
        replaces: string[];
        $defs: Record<string, unknown>;
      };
      const shared = JSON.parse(
        fs.readFileSync(path.join(LOCAL, file.replace('.additions.json', '.schema.json')), 'utf8'),
      ) as {
        $id: string;
        $defs: Record<string, unknown>;
      };
      assert.equal(additions.extends, shared.$id, file);
      assert.match(additions.description, /metadata|entra-docs/, file);
      const redefined = Object.keys(additions.$defs).filter((name) => name in shared.$defs);
      assert.deepEqual(redefined, additions.replaces, file);
    }
    assert.ok(
      checkSchema('strict', 'subscription', {
        changeType: 'created',
        expirationDateTime: '2026-12-04T00:00:00Z',
      }).ok,
    );
    assert.ok(
      checkSchema('token', 'errorResponse', {
        error: 'invalid_grant',
        error_description: 'AADSTS50173: The provided grant has expired.',
        suberror: 'bad_token',
      }).ok,
    );
  });

  it('strict schemas accept documented request bodies, case-insensitive enums and parameter names', () => {
    const message = {
      subject: 'Meet for lunch?',
      body: { contentType: 'Text', content: 'The new cafeteria is open.' },
      toRecipients: [{ emailAddress: { address: 'frannyb@contoso.com' } }],
      ccRecipients: [{ emailAddress: { address: 'danas@contoso.com', name: 'Dana' } }],
      internetMessageHeaders: [{ name: 'x-custom-header-group-name', value: 'Nevada' }],
      attachments: [
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'a.txt',
          contentType: 'text/plain',
          contentBytes: 'SGVsbG8=',
        },
      ],
    };
    assert.ok(checkSchema('strict', 'sendMailRequest', { message, saveToSentItems: 'false' }).ok);
    assert.ok(checkSchema('strict', 'sendMailRequest', { Message: message, SaveToSentItems: true }).ok);
    assert.ok(checkSchema('strict', 'moveRequest', { destinationId: 'deleteditems' }).ok);
    assert.ok(checkSchema('strict', 'message', { isRead: true }).ok);
    assert.ok(
      checkSchema('strict', 'createUploadSessionRequest', {
        AttachmentItem: { attachmentType: 'file', name: 'f', size: 3 },
      }).ok,
    );
  });

  it('strict schemas reject unknown members, wrong types, a missing message and more than 20 batch items', () => {
    const unknown = checkSchema('strict', 'sendMailRequest', { message: { subject: 'x', sender2: 1 } });
    assert.equal(unknown.ok, false);
    assert.match(unknown.errors.join(), /sender2/);
    assert.equal(checkSchema('strict', 'message', { isRead: 'true' }).ok, false);
    assert.equal(checkSchema('strict', 'message', { importance: 'urgent' }).ok, false);
    assert.equal(checkSchema('strict', 'sendMailRequest', { saveToSentItems: true }).ok, false);
    assert.equal(checkSchema('strict', 'moveRequest', { destinationId: 'x', extra: 1 }).ok, false);
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me' }));
    assert.equal(checkSchema('strict', 'batchRequest', { requests }).ok, false);
    assert.equal(
      checkSchema('strict', 'batchRequest', {
        requests: [{ id: '1', method: 'GET', url: 'https://graph.microsoft.com/v1.0/me' }],
      }).ok,
      false,
    );
  });

  it('lenient schemas accept extra members but still check types', () => {
    assert.ok(checkSchema('lenient', 'message', { id: 'x', subject: 's', somethingNew: 1 }).ok);
    assert.equal(checkSchema('lenient', 'message', { isRead: 'no' }).ok, false);
    assert.ok(checkSchema('lenient', 'odataError', { error: { code: 'c', message: 'm' } }).ok);
    assert.equal(checkSchema('lenient', 'odataError', { error: { code: 'c' } }).ok, false);
  });

  it('token schemas check the form and the error body shape', () => {
    const form = {
      client_id: 'a',
      scope: 'https://x/.default',
      grant_type: 'client_credentials',
      client_secret: 's',
    };
    assert.ok(checkSchema('token', 'clientCredentialsForm', form).ok);
    assert.equal(
      checkSchema('token', 'clientCredentialsForm', { ...form, client_assertion: 'a.b.c' }).ok,
      false,
    );
    assert.equal(
      checkSchema('token', 'errorResponse', { error: 'invalid_client', error_description: 'no code' }).ok,
      false,
    );
  });

  it('records a response that breaks the lenient schema, item by item for folder collections', () => {
    const identity = new Identity({
      tenantId: 't',
      tenantDomain: 'd',
      apps: [],
      tokenLifetimeSec: 3600,
      url: () => 'https://x',
    });
    const state = new SimState(new MailStore('d'), identity, {
      latencyMs: 0,
      concurrencyLimit: 4,
      rateLimit: null,
    });
    finish(state, '/users/u/messages', {
      reply: {
        status: 200,
        body: { value: [{ id: 'a', isRead: 'yes' }] },
        schema: 'messageCollectionResponse',
      },
      operation: 'listMessages',
      mailbox: 'u',
    });
    finish(state, '/users/u/mailFolders', {
      reply: {
        status: 200,
        body: { value: [{ id: 'f', displayName: 3 }, { id: 'g' }] },
        schema: 'mailFolder[]',
      },
      operation: 'listFolders',
      mailbox: 'u',
    });
    assert.deepEqual(
      state.schemaViolations.map((v) => [v.direction, v.schema, v.path]),
      [
        ['response', 'lenient#/$defs/messageCollectionResponse', '/users/u/messages'],
        ['response', 'lenient#/$defs/mailFolder', '/users/u/mailFolders'],
      ],
    );
  });
});
