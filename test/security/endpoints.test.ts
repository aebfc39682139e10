/**
 * Endpoints are only what the config node says: no message field sends a request to another host (a second
 * simulator stands for the attacker's host and must see nothing), links are followed only on the configured Graph
 * origin and over https, and `custom` endpoints must be https.
 */
import { strict as assert } from 'node:assert';
import { startSimulator, type Simulator } from '../simulator';
import { simConnection } from '../support/sim-connection';
import {
  helper,
  loadFlow,
  loadReceivers,
  loadSender,
  mailInProps,
  waitFor,
  FAST_TUNING,
  nodeRedSuite,
} from '../reliability/support';

const MAILBOX = 'user@contoso.example';
const COLLEAGUE = 'colleague@contoso.example';

describe('security: requests go only to the configured endpoints', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let evil: Simulator;

  nodeRedSuite({ simulator: { mailboxes: [MAILBOX, COLLEAGUE] }, tuning: FAST_TUNING }, (s) => (sim = s));
  before(async () => {
    evil = await startSimulator({ mailboxes: [MAILBOX] });
  });
  after(() => evil.stop());
  afterEach(() => {
    assert.equal(evil.counters.tokenRequests + evil.counters.graphRequests, 0, 'the other host saw nothing');
  });

  /** Every request the real simulator saw stayed in its token endpoint, /v1.0 or its upload URLs. */
  function assertOnlyConfiguredPaths(): void {
    for (const r of sim.requests) {
      assert.match(
        r.rawPath,
        /^\/(v1\.0\/|[0-9a-f-]{36}\/oauth2\/v2\.0\/token$|upload\/AttachmentSessions\/)/,
        r.rawPath,
      );
    }
  }

  it('o365-mail-out ignores endpoints, URLs and hosts in every message field', async () => {
    const node = await loadSender(sim, '', { username: 'mailbox', usernameType: 'msg' });
    const hostile = {
      graphEndpoint: evil.url,
      authorityHost: evil.url,
      url: `${evil.url}/v1.0/users/${MAILBOX}/sendMail`,
      nextLink: `${evil.url}/v1.0/x`,
      uploadUrl: `${evil.url}/upload/AttachmentSessions/x`,
      o365: { graphEndpoint: evil.url, mailbox: `${evil.url}/v1.0` },
      headers: { Host: new URL(evil.url).host },
    };
    const sent = await node.outcome(
      node.input({ ...hostile, mailbox: MAILBOX, to: COLLEAGUE, topic: 'a', payload: 'x' }),
    );
    assert.equal(sent.kind, 'sent');
    // A mailbox that is a URL stays one path segment of the configured endpoint.
    const asUrl = await node.outcome(
      node.input({
        ...hostile,
        mailbox: `${evil.url}/v1.0/users/x`,
        to: COLLEAGUE,
        topic: 'b',
        payload: 'x',
      }),
    );
    assert.equal(asUrl.kind, 'error');
    assert.ok(sim.requests.some((r) => r.rawPath.startsWith(`/v1.0/users/https%3A%2F%2F127.0.0.1%3A`)));
    assertOnlyConfiguredPaths();
  });

  it('refuses attachments that name a file or URL to read, and reads neither', async () => {
    const node = await loadSender(sim, MAILBOX);
    for (const attachment of [
      { filename: 'passwd', path: '/etc/passwd' },
      { filename: 'remote', path: `${evil.url}/secret` },
      { filename: 'remote', href: `${evil.url}/secret` },
    ]) {
      const outcome = await node.outcome(
        node.input({ to: COLLEAGUE, payload: 'x', attachments: [attachment] }),
      );
      assert.equal(outcome.kind, 'error');
      assert.match(
        outcome.kind === 'error' ? outcome.message : '',
        /"(path|href)" is not supported: reading files or URLs named in messages is not allowed/,
      );
    }
    assert.equal(sim.counters.byOperation.sendMail, 0, 'nothing was sent');
    assert.equal(sim.sent.filter((r) => /passwd|remote/.test(JSON.stringify(r.message))).length, 0);
  });

  it('o365-mail-in takes nothing from its input message but the wish to poll', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 1);
    const { nodes } = await loadReceivers(sim, MAILBOX, {});
    const before = nodes[0].pollsEnded;
    nodes[0].node.receive({ url: evil.url, graphEndpoint: evil.url, folder: evil.url, nextLink: evil.url });
    await nodes[0].pollEnded(before);
    assert.equal(nodes[0].messages.length, 1);
    assertOnlyConfiguredPaths();
  });

  it('the Graph client refuses absolute links to another host, and plain http', async () => {
    const conn = simConnection(sim, { timeoutMs: 2000 });
    try {
      const client = conn.client();
      const plain = sim.url.replace('https:', 'http:');
      for (const path of [`${evil.url}/v1.0/users`, `${plain}/v1.0/users`]) {
        await assert.rejects(
          client.request({ method: 'GET', path }),
          (err: Error) => /only the configured Graph endpoint is used/.test(err.message),
          path,
        );
      }
      // A protocol-relative path stays a path below the configured endpoint (Graph answers 400).
      await assert.rejects(client.request({ method: 'GET', path: `//${new URL(evil.url).host}/v1.0/users` }));
      assert.ok(sim.requests.some((r) => r.rawPath.startsWith('/v1.0//127.0.0.1')));
      // An upload URL (anonymous) may be on another host Graph names, but never plain http.
      await assert.rejects(
        client.request({ method: 'PUT', path: `${plain}/upload/x`, anonymous: true, body: Buffer.from('x') }),
        /only the configured Graph endpoint is used/,
      );
    } finally {
      conn.close();
    }
  });

  for (const field of ['authorityHost', 'graphEndpoint'] as const) {
    it(`refuses a custom ${field} that is not https, with a clear error`, async () => {
      const plain = sim.url.replace('https:', 'http:');
      const record = await loadFlow(sim, [{ id: 'in0', ...mailInProps(MAILBOX) }], {
        account: { [field]: plain },
      });
      helper.getNode('in0').receive({});
      await waitFor(() => record.caught.length > 0, 5000, 'the error at the Catch node');
      assert.match(record.caught[0].message, /https/);
      assert.equal(sim.requests.length, 0, 'nothing was requested');
    });
  }
});
