import * as assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AxiosInstance } from 'axios';
import { startHttpsFront, type HttpsFront } from '../support/https-front';
import { DEFAULT_APP, startSimulator, type Simulator } from './index';
import * as crypto from 'node:crypto';
import { checkSchema } from './schemas';
import { signInThroughPages } from './signin-helpers';
import { errorCode, graphClient, rawClient, requestToken, secretForm, USER } from './test-helpers';

const OTHER_APP = {
  clientId: '5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  secrets: [{ value: 'other-secret' }],
  roles: ['Mail.Read'],
};

/** A fake webhook behind an HTTPS front: answers validation as told and records what Graph posts. */
class Webhook {
  front!: HttpsFront;
  /** How the next validation requests are answered. */
  validation: 'echo' | 'wrong' | 'forbidden' | 'html' | { delayMs: number } = 'echo';
  /** Status and delay for notification POSTs (a function may vary them per call). */
  answer: (n: number) => { status: number; delayMs?: number } = () => ({ status: 202 });
  readonly tokens: string[] = [];
  readonly posts: { at: number; body: { value: Record<string, unknown>[] } }[] = [];

  async start(): Promise<this> {
    this.front = await startHttpsFront((req, res) => void this.handle(req, res));
    return this;
  }

  url(path = '/notify'): string {
    return `${this.front.url}${path}`;
  }

  get items(): Record<string, unknown>[] {
    return this.posts.flatMap((p) => p.body.value);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const token = new URL(req.url ?? '/', 'https://x').searchParams.get('validationToken');
    if (token !== null) {
      this.tokens.push(token);
      const v = this.validation;
      if (typeof v === 'object') await new Promise((r) => setTimeout(r, v.delayMs));
      if (v === 'forbidden') res.writeHead(403).end();
      else if (v === 'html') res.writeHead(200, { 'Content-Type': 'text/html' }).end(token);
      else res.writeHead(200, { 'Content-Type': 'text/plain' }).end(v === 'wrong' ? 'nope' : token);
      return;
    }
    const { status, delayMs } = this.answer(this.posts.length);
    this.posts.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(status).end();
  }
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('simulator: change-notification subscriptions', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let graph: AxiosInstance;
  let hook: Webhook;
  let inboxResource: string;

  beforeEach(async () => {
    sim = await startSimulator({ mailboxes: [USER], apps: [DEFAULT_APP, OTHER_APP] });
    graph = await graphClient(sim);
    hook = await new Webhook().start();
    inboxResource = `users/${USER}/mailFolders/${sim.folderId(USER, 'inbox')}/messages`;
  });

  afterEach(async () => {
    const violations = sim.schemaViolations;
    await sim.stop();
    await hook.front.close();
    assert.deepEqual(violations, [], 'requests and answers follow the Graph schemas');
  });

  function subscribe(body: Record<string, unknown> = {}) {
    return graph.post('/subscriptions', {
      changeType: 'created',
      notificationUrl: hook.url(),
      lifecycleNotificationUrl: hook.url(),
      resource: inboxResource,
      expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
      clientState: 'secret-state',
      ...body,
    });
  }

  describe('create, list, renew, delete', () => {
    it('validates both URLs with a URL-encoded token before creating, then answers 201 with the subscription', async () => {
      const res = await subscribe();
      assert.equal(res.status, 201, JSON.stringify(res.data));
      assert.equal(hook.tokens.length, 2, 'notificationUrl and lifecycleNotificationUrl are both validated');
      assert.match(
        hook.tokens[0],
        /^Validation: Testing client application reachability/,
        'the decoded token',
      );
      assert.equal(res.data.clientState, 'secret-state');
      assert.equal(res.data.changeType, 'created');
      assert.equal(res.data.applicationId, DEFAULT_APP.clientId);
      assert.equal(sim.subscriptions().length, 1);
      assert.deepEqual(
        sim.deliveries.map((d) => [d.kind, d.outcome]),
        [
          ['validation', 'ok'],
          ['validation', 'ok'],
        ],
      );
    });

    it('lists and reads subscriptions of this app only, without clientState, in pages', async () => {
      sim.setSubscriptionLimits({ pageSize: 2 });
      for (let i = 0; i < 3; i++) assert.equal((await subscribe()).status, 201);
      const other = await graphClient(
        sim,
        secretForm(sim, { client_id: OTHER_APP.clientId, client_secret: 'other-secret' }),
      );
      assert.equal((await other.get('/subscriptions')).data.value.length, 0, "another app's are invisible");
      const first = await graph.get('/subscriptions');
      assert.equal(first.data.value.length, 2);
      assert.ok(first.data['@odata.nextLink']);
      const second = await graph.get(first.data['@odata.nextLink']);
      assert.equal(second.data.value.length, 1);
      assert.equal(second.data['@odata.nextLink'], undefined);
      assert.equal(first.data.value[0].clientState, null, 'clientState is not returned when listing');
      const one = await graph.get(`/subscriptions/${first.data.value[0].id}`);
      assert.equal(one.status, 200);
      assert.equal(one.data.clientState, null);
      assert.equal((await other.get(`/subscriptions/${first.data.value[0].id}`)).status, 404);
    });

    it('renews with PATCH and deletes with DELETE', async () => {
      const { data } = await subscribe();
      const later = new Date(Date.now() + 2 * 3600_000).toISOString();
      const renewed = await graph.patch(`/subscriptions/${data.id}`, { expirationDateTime: later });
      assert.equal(renewed.status, 200);
      assert.equal(Date.parse(renewed.data.expirationDateTime), Date.parse(later));
      assert.equal((await graph.patch(`/subscriptions/${data.id}`, { resource: 'x' })).status, 400);
      assert.equal((await graph.delete(`/subscriptions/${data.id}`)).status, 204);
      assert.equal((await graph.delete(`/subscriptions/${data.id}`)).status, 404);
      assert.equal(sim.subscriptions().length, 0);
    });

    it('refuses a notification URL that is not HTTPS, without calling it', async () => {
      const res = await subscribe({ notificationUrl: 'http://127.0.0.1:1/notify' });
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'InvalidRequest');
      assert.equal(res.data.error.message, "NotificationUrl scheme='http' is not supported.");
      assert.equal(hook.tokens.length, 0);
    });

    it('refuses an expiration beyond the maximum lifetime of message subscriptions, or in the past', async () => {
      const tooLate = await subscribe({
        expirationDateTime: new Date(Date.now() + 10_081 * 60_000 + 120_000).toISOString(),
      });
      assert.equal(tooLate.status, 400);
      assert.equal(errorCode(tooLate), 'ExtensionError');
      assert.equal(
        tooLate.data.error.message,
        'Subscription expiration can only be 10080 minutes in the future.',
      );
      assert.equal(
        (await subscribe({ expirationDateTime: new Date(Date.now() - 1000).toISOString() })).status,
        400,
      );
      const justUnder = await subscribe({
        expirationDateTime: new Date(Date.now() + 10_079 * 60_000).toISOString(),
      });
      assert.equal(justUnder.status, 201);
    });

    it('refuses a subscription beyond the per-mailbox limit', async () => {
      sim.setSubscriptionLimits({ perMailbox: 2 });
      assert.equal((await subscribe()).status, 201);
      assert.equal((await subscribe()).status, 201);
      const third = await subscribe();
      assert.equal(third.status, 403);
      assert.match(third.data.error.message, /Maximum number of subscriptions has been reached/);
    });

    it('needs read access to mail', async () => {
      sim.setRoles(DEFAULT_APP.clientId, ['Mail.Send']);
      const res = await subscribe();
      assert.equal(res.status, 403);
      assert.equal(errorCode(res), 'ExtensionError');
      assert.equal(hook.tokens.length, 0);
    });

    it('refuses /me (app-only) and resources it does not know', async () => {
      assert.equal((await subscribe({ resource: "me/mailFolders('inbox')/messages" })).status, 400);
      assert.equal((await subscribe({ resource: `users/${USER}/events` })).status, 400);
      assert.equal(
        (await subscribe({ resource: `users/${USER}/mailFolders('inbox')/messages` })).status,
        201,
      );
    });
  });

  describe('validation request', () => {
    it('fails creation when the answer is not the token', async () => {
      hook.validation = 'wrong';
      const res = await subscribe();
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'ValidationError');
      assert.match(res.data.error.message, /must exactly match validationToken/);
      assert.equal(sim.subscriptions().length, 0);
    });

    it('fails creation on an answer other than 200, naming the status', async () => {
      hook.validation = 'forbidden';
      const res = await subscribe();
      assert.match(
        res.data.error.message,
        /HTTP status code is 'Forbidden'\. Notification endpoint must respond with 200 OK/,
      );
    });

    it('fails creation when the token is not text/plain', async () => {
      hook.validation = 'html';
      assert.equal(errorCode(await subscribe()), 'ValidationError');
    });

    it('times out after Graph’s limit', async () => {
      sim.setPushTiming({ validationTimeoutMs: 200 });
      hook.validation = { delayMs: 600 };
      const res = await subscribe();
      assert.equal(res.data.error.message, 'Subscription validation request timed out.');
      assert.equal(sim.deliveries[0].outcome, 'timeout');
    });

    it('fails creation when nothing answers at the URL', async () => {
      const res = await subscribe({ notificationUrl: 'https://127.0.0.1:1/notify' });
      assert.equal(errorCode(res), 'ValidationError');
    });
  });

  describe('notifications', () => {
    it('posts a created notification (no mail data) when mail arrives in the folder, and none for other folders', async () => {
      const { data } = await subscribe();
      const id = sim.addMessage(USER, 'inbox', { subject: 'new' });
      sim.addMessage(USER, 'archive', { subject: 'elsewhere' });
      await waitFor(() => hook.items.length >= 1, 5000, 'a notification');
      await sleep(100);
      assert.equal(hook.items.length, 1);
      const item = hook.items[0];
      assert.equal(item.subscriptionId, data.id);
      assert.equal(item.clientState, 'secret-state');
      assert.equal(item.changeType, 'created');
      assert.equal(item.tenantId, sim.tenantId);
      assert.equal((item.resourceData as { id: string }).id, id);
      assert.equal(
        (item as { subject?: string }).subject,
        undefined,
        'a basic notification carries no mail data',
      );
      assert.ok(checkSchema('lenient', 'changeNotificationCollection', hook.posts[0].body).ok);
    });

    it('notifies for a whole mailbox subscription and for mail moved into the folder', async () => {
      await subscribe({ resource: `users/${USER}/messages` });
      const id = sim.addMessage(USER, 'archive', { subject: 'a' });
      await graph.post(`/users/${encodeURIComponent(USER)}/messages/${id}/move`, { destinationId: 'inbox' });
      await waitFor(() => hook.items.length >= 2, 5000, 'two notifications');
    });

    it('delays, loses and duplicates notifications as told', async () => {
      await subscribe();
      sim.setNotifications({ delayMs: 300 });
      const sentAt = Date.now();
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.posts.length === 1, 5000, 'the delayed notification');
      assert.ok(hook.posts[0].at - sentAt >= 290, `arrived after ${hook.posts[0].at - sentAt} ms`);
      sim.setNotifications({ delayMs: 0, lossRate: 1 });
      sim.addMessage(USER, 'inbox');
      await sleep(200);
      assert.equal(hook.posts.length, 1, 'the lost one never arrives');
      assert.equal(sim.deliveries.filter((d) => d.outcome === 'lost').length, 1);
      sim.setNotifications({ lossRate: 0, duplicateRate: 1 });
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.items.length === 3, 5000, 'the duplicate');
      assert.equal(
        hook.items[1].resourceData && (hook.items[1].resourceData as { id: string }).id,
        (hook.items[2].resourceData as { id: string }).id,
      );
    });

    it('puts notifications due together into one POST', async () => {
      await subscribe();
      sim.setNotifications({ delayMs: 100, maxBatch: 50 });
      sim.seedMessages(USER, 'inbox', 30);
      await waitFor(() => hook.items.length === 30, 5000, '30 notifications');
      assert.ok(hook.posts.length < 30, `${hook.posts.length} POSTs for 30 notifications`);
    });

    it('retries a failed delivery later and discards it after the retry period, telling the app it missed some', async () => {
      sim.setPushTiming({ retryDelayMs: 200, maxRetryAgeMs: 500 });
      await subscribe();
      hook.answer = (n) => ({ status: n === 0 ? 500 : 202 });
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.posts.length === 2, 5000, 'the retry');
      assert.ok(hook.posts[1].at - hook.posts[0].at >= 190);
      assert.deepEqual(hook.posts[0].body, hook.posts[1].body);
      hook.answer = () => ({ status: 503 });
      sim.addMessage(USER, 'inbox');
      await waitFor(
        () => hook.items.some((i) => i.lifecycleEvent === 'missed'),
        5000,
        'a missed notification',
      );
      assert.ok(sim.deliveries.some((d) => d.kind === 'change' && d.outcome === 'dropped'));
    });

    it('stops notifying once the subscription expired', async () => {
      sim.setSubscriptionLimits({ grantedLifetimeMs: 300 });
      const { data } = await subscribe();
      assert.ok(
        Date.parse(data.expirationDateTime) - Date.now() <= 300,
        'the granted expiration is returned',
      );
      await sleep(400);
      sim.addMessage(USER, 'inbox');
      await sleep(200);
      assert.equal(hook.posts.length, 0);
      assert.equal((await graph.get('/subscriptions')).data.value.length, 0);
    });
  });

  describe('slow endpoints', () => {
    beforeEach(() => {
      sim.setPushTiming({ sampleSize: 5, slowMs: 50, deliveryTimeoutMs: 1000, throttleDelayMs: 400 });
    });

    it('throttles an endpoint with 10 % slow answers: its notifications are delayed', async () => {
      sim.setPushTiming({ dropThreshold: 0.5 });
      await subscribe();
      hook.answer = (n) => ({ status: 202, delayMs: n < 2 ? 120 : 0 });
      for (let i = 0; i < 5; i++) {
        sim.addMessage(USER, 'inbox');
        await waitFor(() => hook.posts.length === i + 1, 5000, `notification ${i + 1}`);
      }
      await waitFor(() => sim.notificationEndpointState(hook.url()) === 'throttled', 5000, 'throttling');
      const sentAt = Date.now();
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.posts.length === 6, 5000, 'the throttled notification');
      assert.ok(hook.posts[5].at - sentAt >= 390, 'delayed by the throttle delay');
    });

    it('drops notifications of an endpoint with 15 % slow answers and sends missed', async () => {
      await subscribe();
      hook.answer = () => ({ status: 202, delayMs: 120 });
      for (let i = 0; i < 5; i++) {
        sim.addMessage(USER, 'inbox');
        await waitFor(() => hook.posts.length === i + 1, 5000, `notification ${i + 1}`);
      }
      await waitFor(() => sim.notificationEndpointState(hook.url()) === 'dropping', 5000, 'dropping');
      hook.answer = () => ({ status: 202 });
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.items.some((i) => i.lifecycleEvent === 'missed'), 5000, 'missed');
      assert.equal(hook.items.filter((i) => i.changeType === 'created').length, 5);
    });
  });

  describe('lifecycle events', () => {
    it('sends missed to the lifecycle URL', async () => {
      const { data } = await subscribe();
      sim.raiseLifecycleEvent(data.id, 'missed');
      await waitFor(() => hook.items.length === 1, 5000, 'missed');
      assert.deepEqual(
        { ...hook.items[0], subscriptionExpirationDateTime: undefined },
        {
          subscriptionId: data.id,
          tenantId: sim.tenantId,
          clientState: 'secret-state',
          lifecycleEvent: 'missed',
          subscriptionExpirationDateTime: undefined,
        },
      );
    });

    it('removes the subscription on subscriptionRemoved', async () => {
      const { data } = await subscribe();
      sim.raiseLifecycleEvent(data.id, 'subscriptionRemoved');
      await waitFor(() => hook.items.length === 1, 5000, 'subscriptionRemoved');
      assert.equal(sim.subscriptions().length, 0);
      assert.equal((await graph.get(`/subscriptions/${data.id}`)).status, 404);
    });

    it('pauses notifications after reauthorizationRequired until the app reauthorizes', async () => {
      const { data } = await subscribe();
      sim.raiseLifecycleEvent(data.id, 'reauthorizationRequired');
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.items.length === 1, 5000, 'reauthorizationRequired');
      await sleep(150);
      assert.equal(
        hook.items.filter((i) => i.changeType === 'created').length,
        0,
        'paused: the change is lost',
      );
      assert.equal((await graph.post(`/subscriptions/${data.id}/reauthorize`)).status, 204);
      sim.addMessage(USER, 'inbox');
      await waitFor(
        () => hook.items.some((i) => i.changeType === 'created'),
        5000,
        'the notification after reauthorizing',
      );
    });

    it('sends nothing without a lifecycle URL', async () => {
      const { data } = await subscribe({ lifecycleNotificationUrl: undefined });
      sim.raiseLifecycleEvent(data.id, 'missed');
      await sleep(150);
      assert.equal(hook.posts.length, 0);
    });
  });

  describe('delegated sign-in', () => {
    const REDIRECT = 'http://127.0.0.1:1880/o365-config/delegated/callback';

    /** A client for /v1.0 with the token of USER signed in through the pages (authorization code with PKCE). */
    async function signedIn(scope: string): Promise<AxiosInstance> {
      sim.addMailbox('boss@contoso.example');
      sim.addRedirectUri(DEFAULT_APP.clientId, REDIRECT, 'publicClient');
      const verifier = crypto.randomBytes(32).toString('base64url');
      const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
      const scopes = `${scope
        .split(' ')
        .map((n) => `${sim.url}/${n}`)
        .join(' ')} openid offline_access`;
      const query = new URLSearchParams({
        client_id: DEFAULT_APP.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: scopes,
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const outcome = await signInThroughPages(
        sim,
        `${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize?${query}`,
        {
          user: USER,
        },
      );
      const code = new URL(outcome.location ?? '').searchParams.get('code') ?? '';
      const token = await requestToken(sim, {
        client_id: DEFAULT_APP.clientId,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        scope: scopes,
      });
      assert.equal(token.status, 200, JSON.stringify(token.data));
      const client = rawClient(sim);
      client.defaults.baseURL = `${sim.url}/v1.0`;
      client.defaults.headers.common.Authorization = `Bearer ${(token.data as { access_token: string }).access_token}`;
      return client;
    }

    it("subscribes to the signed-in user's own folders only, with a read scope", async () => {
      const me = await signedIn('Mail.Read');
      const body = {
        changeType: 'created',
        notificationUrl: hook.url(),
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        clientState: 'c',
      };
      const own = await me.post('/subscriptions', { ...body, resource: "me/mailFolders('inbox')/messages" });
      assert.equal(own.status, 201, JSON.stringify(own.data));
      assert.equal(sim.subscriptions()[0].mailbox, USER);
      const other = await me.post('/subscriptions', {
        ...body,
        resource: 'users/boss@contoso.example/messages',
      });
      assert.equal(other.status, 403);
      sim.addMessage(USER, 'inbox');
      await waitFor(() => hook.items.length === 1, 5000, 'the notification');
    });

    it('needs a read scope', async () => {
      const me = await signedIn('Mail.Send');
      const res = await me.post('/subscriptions', {
        changeType: 'created',
        notificationUrl: hook.url(),
        resource: 'me/messages',
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
      });
      assert.equal(res.status, 403);
    });
  });
});
