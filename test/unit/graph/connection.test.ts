/**
 * The identity and Graph access layer against the simulator: token reuse and refresh, secret and certificate
 * credentials, mapped errors, retries that never repeat a send, the mailbox limit, paging, $batch and the proxy path.
 */
import { strict as assert } from 'node:assert';
import { generate } from 'selfsigned';
import { Connection } from '../../../src/graph/connection';
import { certificateThumbprints, normaliseAccount } from '../../../src/graph/account';
import { testConnection } from '../../../src/graph/diagnose';
import { startSimulator, Simulator } from '../../simulator';
import { rejection } from '../../support/rejection';
import { startConnectProxy } from '../../support/connect-proxy';

const MAILBOX = 'user@contoso.example';
const FAST = { retry: { baseDelayMs: 5, maxDelayMs: 50 } };

describe('Graph access layer', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let cert: { cert: string; private: string };
  let otherCert: { cert: string; private: string };
  const SEND_ONLY_APP = '5c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
  const CERT_APP = '6d2e3f4a-5b6c-4d7e-9f80-1a2b3c4d5e6f';

  before(async () => {
    cert = await generate([{ name: 'commonName', value: 'node-red-o365 test' }], { keySize: 2048 });
    otherCert = await generate([{ name: 'commonName', value: 'unregistered' }], { keySize: 2048 });
    sim = await startSimulator({
      mailboxes: [MAILBOX, 'denied@contoso.example'],
      apps: [
        {
          clientId: '0b7c6a3e-5d2f-4e8a-9c1b-7f3e2a1d5c60',
          secrets: [{ value: 'sim-secret-value' }, { value: 'old-secret', expired: true }],
          roles: ['Mail.ReadWrite', 'Mail.Send'],
          deniedMailboxes: ['denied@contoso.example'],
        },
        { clientId: SEND_ONLY_APP, secrets: [{ value: 'read-only-secret' }], roles: ['Mail.Read'] },
        { clientId: CERT_APP, certificates: [cert.cert], roles: ['Mail.ReadWrite'] },
      ],
    });
    sim.addMailbox('gone@contoso.example', { state: 'inactive' });
  });
  after(() => sim.stop());
  afterEach(() => {
    assert.deepEqual(sim.schemaViolations, []);
    sim.clearFaults();
    sim.resetCounters();
  });

  const settings = (extra: Record<string, string> = {}) => ({
    tenantId: sim.tenantId,
    applicationId: sim.app.clientId,
    cloud: 'custom',
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    clientSecret: 'sim-secret-value',
    ...extra,
  });

  describe('tokens', () => {
    it('makes one token request for hundreds of Graph calls from several clients sharing a connection', async () => {
      const connection = new Connection(settings(), FAST);
      const clients = [connection.client(), connection.client(), connection.client()];
      sim.seedMessages(MAILBOX, 'inbox', 3);
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => connection.mailbox(MAILBOX, clients[i % 3]).probe()),
      );
      assert.equal(sim.counters.tokenRequests, 1);
      assert.equal(sim.counters.discoveryRequests, 0);
      assert.equal(connection.tokens.requests, 1);
      connection.close();
    });

    it('drops a token Graph rejects, fetches a new one and retries the request once', async () => {
      const connection = new Connection(settings(), FAST);
      const api = connection.mailbox(MAILBOX);
      await api.probe();
      sim.expireTokens();
      await api.probe();
      assert.equal(sim.counters.tokenRequests, 2);
      assert.equal(api.client.stats.tokenRefreshes, 1);
      connection.close();
    });

    it('refreshes once when many requests in flight are refused together', async () => {
      const connection = new Connection(settings(), FAST);
      const api = connection.mailbox(MAILBOX);
      await api.probe();
      sim.expireTokens();
      await Promise.all(Array.from({ length: 12 }, () => api.probe()));
      assert.equal(sim.counters.tokenRequests, 2);
      connection.close();
    });

    it('gets a new token when the old one nears its expiry', async () => {
      const short = await startSimulator({ tokenLifetimeSec: 302 });
      try {
        const connection = new Connection(
          { ...settings(), tenantId: short.tenantId, authorityHost: short.url, graphEndpoint: short.url },
          FAST,
        );
        await connection.tokens.getToken();
        await connection.tokens.getToken();
        assert.equal(short.counters.tokenRequests, 1, 'the cached token is reused while valid');
        // The token lives 302 s and msal renews 300 s before expiry: within a few seconds it asks again.
        const deadline = Date.now() + 8000;
        while (short.counters.tokenRequests < 2 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          await connection.tokens.getToken();
        }
        assert.equal(short.counters.tokenRequests, 2, 'msal renews 300 s before expiry');
        connection.close();
      } finally {
        await short.stop();
      }
    });

    it('reads the roles the token carries', async () => {
      const connection = new Connection(settings(), FAST);
      const token = await connection.tokens.getToken();
      assert.deepEqual([...token.roles].sort(), ['Mail.ReadWrite', 'Mail.Send']);
      connection.close();
    });

    it('signs in with a certificate, thumbprint derived from the PEM certificate (SHA-256)', async () => {
      const connection = new Connection(
        {
          ...settings(),
          applicationId: CERT_APP,
          authType: 'certificate',
          clientSecret: '',
          privateKey: cert.private,
          certificate: cert.cert,
        },
        FAST,
      );
      assert.equal(connection.account.credential.type, 'certificate');
      await connection.mailbox(MAILBOX).probe();
      assert.equal(sim.counters.tokenRequests, 1);
      connection.close();
    });

    it('signs in with a certificate given by its SHA-1 thumbprint', async () => {
      const { sha1 } = certificateThumbprints(cert.cert);
      const connection = new Connection(
        {
          ...settings(),
          applicationId: CERT_APP,
          authType: 'certificate',
          privateKey: cert.private,
          certificateThumbprint: sha1.toUpperCase(),
        },
        FAST,
      );
      await connection.mailbox(MAILBOX).probe();
      connection.close();
    });

    const tokenCases: [string, Record<string, string>, string, string, RegExp][] = [
      [
        'a wrong secret',
        { clientSecret: 'wrong' },
        'AADSTS7000215',
        'secret-wrong',
        /Value, not its Secret ID/,
      ],
      ['an expired secret', { clientSecret: 'old-secret' }, 'AADSTS7000222', 'secret-expired', /expired/],
      [
        'an unknown application',
        { applicationId: '11111111-2222-4333-8444-555555555555' },
        'AADSTS700016',
        'app-not-found',
        /No application with this id/,
      ],
      [
        'an unknown tenant',
        { tenantId: 'nowhere.example' },
        'AADSTS90002',
        'tenant-not-found',
        /Tenant not found/,
      ],
    ];
    for (const [what, extra, code, reason, hint] of tokenCases) {
      it(`explains ${what} (${code})`, async () => {
        const connection = new Connection(settings(extra), FAST);
        const err = await rejection(connection.mailbox(MAILBOX).probe());
        assert.equal(err.code, code);
        assert.equal(err.reason, reason);
        assert.match(err.message, hint);
        assert.ok(!err.message.includes('sim-secret-value') && !err.message.includes('wrong'.repeat(2)));
        connection.close();
      });
    }

    it('explains a certificate the application does not know (AADSTS700027)', async () => {
      const connection = new Connection(
        {
          ...settings(),
          applicationId: CERT_APP,
          authType: 'certificate',
          privateKey: otherCert.private,
          certificate: otherCert.cert,
        },
        FAST,
      );
      const err = await rejection(connection.tokens.getToken());
      assert.equal(err.code, 'AADSTS700027');
      assert.equal(err.reason, 'certificate-rejected');
      assert.ok(!err.message.includes('PRIVATE KEY'));
      connection.close();
    });
  });

  describe('Graph errors', () => {
    it('names the missing Mail.Send permission', async () => {
      const connection = new Connection(
        settings({ applicationId: SEND_ONLY_APP, clientSecret: 'read-only-secret' }),
        FAST,
      );
      const body = { message: { subject: 'x', toRecipients: [{ emailAddress: { address: MAILBOX } }] } };
      const err = await rejection(connection.mailbox(MAILBOX).sendMail(body));
      assert.equal(err.status, 403);
      assert.equal(err.reason, 'permission-missing');
      assert.match(err.message, /lacks Mail\.Send/);
      assert.match(err.message, /request-id \S+/);
      connection.close();
    });

    it('tells an application access policy denial apart from a missing permission', async () => {
      const connection = new Connection(settings(), FAST);
      const err = await rejection(connection.mailbox('denied@contoso.example').probe());
      assert.equal(err.reason, 'access-policy');
      assert.match(err.message, /application access policy denies mailbox denied@contoso\.example/);
      connection.close();
    });

    it('explains an inactive mailbox and an unknown one', async () => {
      const connection = new Connection(settings(), FAST);
      const inactive = await rejection(connection.mailbox('gone@contoso.example').probe());
      assert.equal(inactive.code, 'MailboxNotEnabledForRESTAPI');
      assert.match(inactive.message, /inactive, soft-deleted or on-premises/);
      const unknown = await rejection(connection.mailbox('nobody@contoso.example').probe());
      assert.equal(unknown.reason, 'mailbox-not-found');
      connection.close();
    });
  });

  describe('retries', () => {
    it('honours Retry-After on 429 and succeeds', async () => {
      const notices: number[] = [];
      const connection = new Connection(settings(), FAST);
      const api = connection.mailbox(
        MAILBOX,
        connection.client((n) => notices.push(n.delayMs)),
      );
      sim.throttleNext(2, { retryAfter: 0 });
      await api.probe();
      assert.deepEqual(notices, [0, 0]);
      assert.equal(sim.counters.throttled, 2);
      connection.close();
    });

    it('backs off exponentially when 503 has no Retry-After', async () => {
      const notices: number[] = [];
      const connection = new Connection(settings(), { retry: { baseDelayMs: 10, maxDelayMs: 1000 } });
      const api = connection.mailbox(
        MAILBOX,
        connection.client((n) => notices.push(n.delayMs)),
      );
      sim.failNext(3, 503, { retryAfter: null });
      await api.probe();
      assert.equal(notices.length, 3);
      assert.ok(notices[0] >= 5 && notices[0] <= 10, `first wait ${notices[0]}`);
      assert.ok(notices[2] >= 20 && notices[2] <= 40, `third wait ${notices[2]}`);
      connection.close();
    });

    it('retries a send that Graph throttled (429: it was not processed) and sends it once', async () => {
      const connection = new Connection(settings(), FAST);
      sim.throttleNext(2, { retryAfter: 0, match: { operation: 'sendMail' } });
      const before = sim.sent.length;
      await connection.mailbox(MAILBOX).sendMail({
        message: { subject: 'once', toRecipients: [{ emailAddress: { address: 'x@example.org' } }] },
      });
      assert.equal(sim.sent.length - before, 1);
      connection.close();
    });

    it('never repeats a send answered 503 (it may have gone): OutcomeUnknown keeps the status and Retry-After', async () => {
      const connection = new Connection(settings(), FAST);
      sim.failAfterNext(1, 503, { retryAfter: 7, match: { operation: 'sendMail' } });
      const before = sim.sent.length;
      const err = await rejection(
        connection.mailbox(MAILBOX).sendMail({
          message: { subject: 'went', toRecipients: [{ emailAddress: { address: 'x@example.org' } }] },
        }),
      );
      assert.equal(err.code, 'OutcomeUnknown');
      assert.equal(err.status, 503);
      assert.equal(err.retryAfterMs, 7000);
      assert.equal(sim.sent.length - before, 1, 'processed once, never repeated');
      connection.close();
    });

    it('repeats a write that sends no mail (a draft) after 503, as Graph asks', async () => {
      const connection = new Connection(settings(), FAST);
      sim.failNext(1, 503, { retryAfter: 0, match: { operation: 'createDraft' } });
      const draft = await connection.mailbox(MAILBOX).createDraft({ subject: 'draft after 503' });
      assert.ok(draft.id);
      assert.equal(sim.requests.filter((r) => r.operation === 'createDraft').length, 2);
      connection.close();
    });

    it("waits Graph's whole Retry-After, also beyond maxDelayMs", async () => {
      const notices: number[] = [];
      const connection = new Connection(settings(), { retry: { baseDelayMs: 5, maxDelayMs: 50 } });
      const api = connection.mailbox(
        MAILBOX,
        connection.client((n) => notices.push(n.delayMs)),
      );
      sim.throttleNext(1, { retryAfter: 1 });
      const started = Date.now();
      await api.probe();
      assert.deepEqual(notices, [1000]);
      assert.ok(Date.now() - started >= 990, 'no early retry');
      connection.close();
    });

    it('with the default settings waits a Retry-After of 90 s in full (over the 60 s backoff cap), not retrying early', async () => {
      const notices: number[] = [];
      const connection = new Connection(settings());
      const api = connection.mailbox(
        MAILBOX,
        connection.client((n) => notices.push(n.delayMs)),
      );
      sim.throttleNext(1, { retryAfter: 90 });
      const stop = new AbortController();
      const probing = api.probe(stop.signal).then(
        () => undefined,
        (err: Error) => err,
      );
      // The wait has begun once the notice came: it is the whole 90 s (the default maxTotalDelayMs is 5 minutes).
      for (let i = 0; i < 200 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(notices, [90_000]);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sim.requests.filter((r) => r.operation === 'getFolder').length, 1, 'no early retry');
      stop.abort();
      assert.equal((await probing)?.name, 'AbortError', 'closing the node ends the wait');
      connection.close();
    });

    it('fails at once with RetryAfterTooLong when Graph asks for more than maxTotalDelayMs', async () => {
      const connection = new Connection(settings(), { retry: { baseDelayMs: 5, maxTotalDelayMs: 2000 } });
      sim.throttleNext(1, { retryAfter: 120 });
      const started = Date.now();
      const err = await rejection(connection.mailbox(MAILBOX).probe());
      assert.ok(Date.now() - started < 1000, 'did not wait');
      assert.equal(err.code, 'RetryAfterTooLong');
      assert.equal(err.retryAfterMs, 120_000);
      assert.equal(err.status, 429);
      assert.match(err.message, /asked to wait 120 s/);
      assert.match(err.message, /2 s a request may wait in all \(o365\.retry\.maxTotalDelayMs/);
      assert.equal(sim.requests.filter((r) => r.operation === 'getFolder').length, 1);
      connection.close();
    });

    it('retries throttled $batch items after their whole Retry-After', async () => {
      const folder = sim.addFolder(MAILBOX, 'inbox', `batch-wait-${Date.now()}`);
      const ids = sim.seedMessages(MAILBOX, folder, 3);
      sim.throttleNext(1, { retryAfter: 1, match: { operation: 'patchMessage', inBatch: true } });
      const connection = new Connection(settings(), { retry: { baseDelayMs: 5, maxDelayMs: 50 } });
      const started = Date.now();
      const results = await connection.mailbox(MAILBOX).acknowledge(ids, 'read');
      assert.ok(results.every((r) => r.ok));
      assert.ok(Date.now() - started >= 990, 'the item waited its Retry-After');
      connection.close();
    });

    it('paces PATCH/POST/PUT bodies within the upload window of the app and mailbox, telling the wait', async () => {
      const window = { bytes: 300_000, windowMs: 1500 };
      sim.setUploadLimit(window);
      const notices: { code: string; delayMs: number }[] = [];
      const connection = new Connection(settings(), { ...FAST, uploadLimit: window });
      const api = connection.mailbox(
        MAILBOX,
        connection.client((n) => notices.push(n)),
      );
      const body = { subject: 'x', body: { contentType: 'text', content: 'y'.repeat(120_000) } };
      for (let i = 0; i < 3; i++) await api.createDraft(body);
      assert.equal(sim.counters.throttled, 0, 'Graph never refused a body');
      assert.equal(notices.length, 1);
      assert.equal(notices[0].code, 'UploadLimit');
      assert.ok(notices[0].delayMs > 1000, `waited ${notices[0].delayMs} ms for the window`);
      // A body Graph refuses whole (over 4 MB, 413) uploads nothing: it is not held back for the window.
      const started = Date.now();
      const tooBig = { ...body, body: { contentType: 'text', content: 'z'.repeat(5 * 1024 * 1024) } };
      const refused = await rejection(api.createDraft(tooBig));
      assert.equal(refused.status, 413);
      assert.ok(Date.now() - started < 1000, 'not paced');
      sim.setUploadLimit({ bytes: 157286400, windowMs: 300_000 });
      connection.close();
    });

    it('never repeats a send whose connection dropped after Graph processed it', async () => {
      const connection = new Connection(settings(), FAST);
      sim.dropNext(1, { after: true, match: { operation: 'sendMail' } });
      const before = sim.sent.length;
      const err = await rejection(
        connection.mailbox(MAILBOX).sendMail({
          message: { subject: 'maybe', toRecipients: [{ emailAddress: { address: 'x@example.org' } }] },
        }),
      );
      assert.equal(err.code, 'OutcomeUnknown');
      assert.match(err.message, /may or may not/);
      assert.equal(sim.sent.length - before, 1, 'sent exactly once, not repeated');
      connection.close();
    });

    it('does not repeat a send after a 504', async () => {
      const connection = new Connection(settings(), FAST);
      sim.failNext(1, 504, { match: { operation: 'sendMail' } });
      const err = await rejection(
        connection.mailbox(MAILBOX).sendMail({
          message: { subject: 'maybe', toRecipients: [{ emailAddress: { address: 'x@example.org' } }] },
        }),
      );
      assert.equal(err.code, 'OutcomeUnknown');
      assert.equal(sim.requests.filter((r) => r.operation === 'sendMail').length, 1);
      connection.close();
    });

    it('retries a read after a dropped connection', async () => {
      const connection = new Connection(settings(), FAST);
      sim.dropNext(1, { match: { operation: 'getFolder' } });
      await connection.mailbox(MAILBOX).probe();
      connection.close();
    });

    it('does not repeat a listing that asked to fail fast on a 504 (the caller asks for a smaller page)', async () => {
      const connection = new Connection(settings(), FAST);
      const api = connection.mailbox(MAILBOX);
      const inbox = await api.resolveFolder('inbox');
      const list = (failFastOnTimeout: boolean) =>
        api.listMessages(inbox, { select: ['id'], top: 5, bodyFormat: 'text', failFastOnTimeout }).next();
      sim.failNext(1, 504, { match: { operation: 'listMessages' } });
      const err = await rejection(list(true));
      assert.equal(err.status, 504);
      assert.equal(sim.counters.byOperation.listMessages, 1, 'asked once');
      sim.failNext(1, 504, { match: { operation: 'listMessages' } });
      await list(false);
      assert.equal(sim.counters.byOperation.listMessages, 3, 'a listing without the flag is repeated');
      connection.close();
    });

    it('gives up after the attempt limit with the last error', async () => {
      const connection = new Connection(settings(), {
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      });
      sim.failNext(5, 503, { retryAfter: null });
      const err = await rejection(connection.mailbox(MAILBOX).probe());
      assert.equal(err.status, 503);
      assert.equal(err.reason, 'unavailable');
      connection.close();
    });
  });

  describe('limits, paging and batches', () => {
    it('keeps at most 4 requests in flight per mailbox, so Graph never answers MailboxConcurrency', async () => {
      sim.setLatency(20);
      try {
        const connection = new Connection(settings(), FAST);
        await Promise.all(Array.from({ length: 24 }, () => connection.mailbox(MAILBOX).probe()));
        assert.equal(sim.counters.throttled, 0);
        assert.ok(sim.counters.maxInFlightByMailbox[MAILBOX] <= 4);
        assert.equal(sim.counters.maxInFlightByMailbox[MAILBOX], 4);
        connection.close();
      } finally {
        sim.setLatency(0);
      }
    });

    it('follows every nextLink', async () => {
      const folder = sim.addFolder(MAILBOX, 'inbox', `paging-${Date.now()}`);
      sim.seedMessages(MAILBOX, folder, 25);
      const connection = new Connection(settings(), FAST);
      const api = connection.mailbox(MAILBOX);
      const ids: string[] = [];
      let pages = 0;
      for await (const page of api.listMessages(folder, { select: ['id'], top: 10, bodyFormat: 'text' })) {
        pages++;
        ids.push(...page.value.map((m) => m.id));
      }
      assert.equal(pages, 3);
      assert.equal(new Set(ids).size, 25);
      connection.close();
    });

    it('acknowledges in $batch requests of 20 and retries items throttled inside a batch', async () => {
      const folder = sim.addFolder(MAILBOX, 'inbox', `batch-${Date.now()}`);
      const ids = sim.seedMessages(MAILBOX, folder, 45);
      sim.throttleNext(3, { retryAfter: 0, match: { operation: 'patchMessage', inBatch: true } });
      const connection = new Connection(settings(), FAST);
      const results = await connection.mailbox(MAILBOX).acknowledge(ids, 'read');
      assert.ok(results.every((r) => r.ok));
      assert.equal(sim.messages(MAILBOX, folder).filter((m) => !m.isRead).length, 0);
      assert.equal(sim.counters.batchRequests, 4, '3 batches, plus one for the throttled items');
      connection.close();
    });

    it('moves a message only after its PATCH, and repeats both when Graph throttled the PATCH', async () => {
      const connection = new Connection(settings(), FAST);
      const api = connection.mailbox(MAILBOX);
      const [a, b] = sim.seedMessages(MAILBOX, 'inbox', 2);
      const archive = await api.resolveFolder('archive');
      sim.throttleNext(1, { retryAfter: 0, match: { operation: 'patchMessage', inBatch: true } });
      const results = await api.acknowledge([a, b], 'move', archive, undefined, (id) => ({
        categories: [id === a ? 'A' : 'B'],
      }));
      assert.deepEqual(
        results.map((r) => r.ok && !!r.newId),
        [true, true],
      );
      assert.equal(sim.counters.throttled, 1);
      const moved = sim.messages(MAILBOX, 'archive');
      assert.deepEqual(moved.map((m) => m.categories[0]).sort(), ['A', 'B']);
      const gone = await api.acknowledge([a], 'move', archive, undefined, () => ({ categories: [] }));
      assert.equal(gone[0].gone, true, 'a message already moved is gone, not failed');
      connection.close();
    });

    it('refuses to follow a link to another host', async () => {
      const connection = new Connection(settings(), FAST);
      const client = connection.client();
      const err = await rejection(client.request({ method: 'GET', path: 'https://evil.example/v1.0/users' }));
      assert.equal(err.code, 'UnexpectedUrl');
      connection.close();
    });
  });

  describe('proxy and clouds', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });
    const useProxy = (url: string) => {
      for (const name of ['NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy', 'https_proxy'])
        delete process.env[name];
      process.env.HTTPS_PROXY = url;
    };

    it('sends token and Graph requests through HTTPS_PROXY', async () => {
      const proxy = await startConnectProxy();
      try {
        useProxy(proxy.url);
        const connection = new Connection(settings(), FAST);
        await connection.mailbox(MAILBOX).probe();
        const host = new URL(sim.url).host;
        assert.ok(proxy.connects.length >= 1);
        assert.ok(
          proxy.connects.every((c) => c === host),
          proxy.connects.join(),
        );
        connection.close();
      } finally {
        await proxy.close();
      }
    });

    const clouds: [string, string][] = [
      ['global', 'login.microsoftonline.com:443'],
      ['usgov', 'login.microsoftonline.us:443'],
      ['usgovdod', 'login.microsoftonline.us:443'],
      ['china', 'login.chinacloudapi.cn:443'],
    ];
    for (const [cloud, host] of clouds) {
      it(`asks only ${host} for a token in the ${cloud} cloud, with no discovery request`, async () => {
        const proxy = await startConnectProxy(() => false);
        try {
          useProxy(proxy.url);
          const connection = new Connection(
            { ...settings(), cloud, authorityHost: '', graphEndpoint: '' },
            FAST,
          );
          assert.equal(connection.account.scope, `${connection.account.graphEndpoint}/.default`);
          const err = await rejection(connection.tokens.getToken());
          assert.equal(err.source, 'token');
          assert.deepEqual([...new Set(proxy.connects)], [host]);
          connection.close();
        } finally {
          await proxy.close();
        }
      });
    }

    it("knows each cloud's Graph endpoint", () => {
      const base = {
        tenantId: 'contoso.onmicrosoft.com',
        applicationId: sim.app.clientId,
        clientSecret: 's',
      };
      assert.equal(
        normaliseAccount({ ...base, cloud: 'global' }).scope,
        'https://graph.microsoft.com/.default',
      );
      assert.equal(normaliseAccount({ ...base, cloud: 'usgov' }).graphEndpoint, 'https://graph.microsoft.us');
      assert.equal(
        normaliseAccount({ ...base, cloud: 'usgovdod' }).graphEndpoint,
        'https://dod-graph.microsoft.us',
      );
      assert.equal(
        normaliseAccount({ ...base, cloud: 'china' }).graphEndpoint,
        'https://microsoftgraph.chinacloudapi.cn',
      );
    });
  });

  describe('settings checks', () => {
    const base = () => ({ tenantId: sim.tenantId, applicationId: sim.app.clientId, clientSecret: 's' });
    const cases: [string, Record<string, string>, RegExp][] = [
      ['no tenant', { tenantId: '' }, /No tenant/],
      [
        'a tenant that is neither GUID nor domain',
        { tenantId: 'not a tenant' },
        /neither a GUID nor a domain/,
      ],
      ['an application id that is not a GUID', { applicationId: 'abc' }, /is not a GUID/],
      [
        'an http custom endpoint',
        { cloud: 'custom', authorityHost: 'http://127.0.0.1:1', graphEndpoint: 'https://x.example' },
        /must be an https URL/,
      ],
      ['a custom cloud without endpoints', { cloud: 'custom' }, /required for the custom cloud/],
      ['an unknown cloud', { cloud: 'mars' }, /Unknown cloud/],
      ['no secret', { clientSecret: '' }, /No client secret/],
      ['a certificate without key', { authType: 'certificate' }, /No private key/],
      [
        'a bad thumbprint',
        { authType: 'certificate', privateKey: '-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----' },
        /cannot be read/,
      ],
    ];
    for (const [what, extra, message] of cases) {
      it(`rejects ${what} with a clear message`, () => {
        assert.throws(() => normaliseAccount({ ...base(), ...extra }), message);
      });
    }

    it('rejects a thumbprint that does not belong to the certificate', () => {
      assert.throws(
        () =>
          normaliseAccount({
            ...base(),
            authType: 'certificate',
            privateKey: cert.private,
            certificate: cert.cert,
            certificateThumbprint: 'ab'.repeat(20),
          }),
        /does not belong to the certificate/,
      );
    });
  });

  describe('Test connection', () => {
    it('reports the token, the permissions against what the nodes need, and the mailbox', async () => {
      const report = await testConnection(settings(), MAILBOX);
      assert.equal(report.token.ok, true);
      assert.deepEqual(
        report.checks.map((c) => [c.permission, c.ok]),
        [
          ['Mail.ReadWrite', true],
          ['Mail.Read', true],
          ['Mail.Read', true],
          ['Mail.Send', true],
          ['Mail.Send + Mail.ReadWrite', true],
        ],
      );
      assert.deepEqual(report.mailbox, { address: MAILBOX, ok: true });
    });

    it('reports a read-only app as unable to send or acknowledge', async () => {
      const report = await testConnection(
        settings({ applicationId: SEND_ONLY_APP, clientSecret: 'read-only-secret' }),
        undefined,
      );
      assert.deepEqual(report.roles, ['Mail.Read']);
      assert.deepEqual(
        report.checks.map((c) => c.ok),
        [false, true, true, false, false],
      );
      assert.equal(report.mailbox, undefined);
    });

    it('reports a mapped token error and an access policy denial, with no secret', async () => {
      const bad = await testConnection(settings({ clientSecret: 'not-the-secret' }), MAILBOX);
      assert.equal(bad.token.ok, false);
      assert.ok(!bad.token.ok && bad.token.code === 'AADSTS7000215');
      assert.ok(!JSON.stringify(bad).includes('not-the-secret'));
      const denied = await testConnection(settings(), 'denied@contoso.example');
      assert.equal(denied.mailbox?.ok, false);
      assert.ok(denied.mailbox && !denied.mailbox.ok && denied.mailbox.code === 'ErrorAccessDenied');
      assert.ok(!JSON.stringify(denied).includes('sim-secret-value'));
    });
  });
});
