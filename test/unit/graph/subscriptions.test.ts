/** The subscription operations on a real GraphClient against the simulator, and what their failures mean. */
import { strict as assert } from 'node:assert';
import { Connection } from '../../../src/graph/connection';
import {
  messagesResource,
  NewSubscription,
  SubscriptionApi,
  subscriptionFailureText,
  subscriptionProblem,
} from '../../../src/graph/subscriptions';
import { startSimulator, Simulator } from '../../simulator';
import { startHttpsFront, type HttpsFront } from '../../support/https-front';
import { simConnection } from '../receive/harness';

const MAILBOX = 'user@contoso.example';

describe('Graph subscriptions API', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let connection: Connection;
  let api: SubscriptionApi;
  let front: HttpsFront;
  /** How the fake endpoint answers validation requests. */
  let answer: 'echo' | 'forbidden' | 'silent';

  before(async () => {
    front = await startHttpsFront((req, res) => {
      const token = new URL(req.url ?? '/', 'https://x').searchParams.get('validationToken');
      if (answer === 'silent') return;
      if (token && answer === 'echo') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
      else res.writeHead(answer === 'forbidden' ? 403 : 202).end();
    });
  });
  after(() => front.close());

  beforeEach(async () => {
    answer = 'echo';
    sim = await startSimulator({ mailboxes: [MAILBOX] });
    connection = simConnection(sim);
    api = new SubscriptionApi(connection.client());
  });
  afterEach(async () => {
    connection.close();
    const violations = sim.schemaViolations;
    await sim.stop();
    assert.deepEqual(violations, []);
  });

  const subscription = (extra: Partial<NewSubscription> = {}): NewSubscription => ({
    resource: messagesResource(MAILBOX, sim.folderId(MAILBOX, 'inbox')),
    changeType: 'created',
    notificationUrl: `${front.url}/n1`,
    lifecycleNotificationUrl: `${front.url}/n1`,
    clientState: 'state',
    expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
    ...extra,
  });

  async function problemOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      return subscriptionProblem(err);
    }
    return 'none';
  }

  it('creates, lists, renews, reauthorizes and deletes', async () => {
    const created = await api.create(subscription());
    assert.equal(created.clientState, 'state');
    assert.equal(sim.subscriptions()[0].folderId, sim.folderId(MAILBOX, 'inbox'));
    const listed = await api.list();
    assert.deepEqual(
      listed.map((s) => s.id),
      [created.id],
    );
    const later = new Date(Date.now() + 7200_000).toISOString();
    assert.equal(Date.parse((await api.renew(created.id, later)).expirationDateTime), Date.parse(later));
    await api.reauthorize(created.id);
    await api.delete(created.id);
    await api.delete(created.id);
    assert.deepEqual(await api.list(), []);
  });

  it('lists every page', async () => {
    sim.setSubscriptionLimits({ pageSize: 2 });
    for (let i = 0; i < 5; i++) await api.create(subscription());
    assert.equal((await api.list()).length, 5);
  });

  it('names why a subscription cannot be made', async () => {
    assert.equal(
      await problemOf(api.create(subscription({ notificationUrl: 'http://127.0.0.1/x' }))),
      'graph-error',
    );
    answer = 'forbidden';
    assert.equal(await problemOf(api.create(subscription())), 'validation-failed');
    answer = 'silent';
    sim.setPushTiming({ validationTimeoutMs: 200 });
    assert.equal(await problemOf(api.create(subscription())), 'validation-failed');
    answer = 'echo';
    const tooLong = new Date(Date.now() + 20_000 * 60_000).toISOString();
    assert.equal(
      await problemOf(api.create(subscription({ expirationDateTime: tooLong }))),
      'expiration-rejected',
    );
    sim.setSubscriptionLimits({ perMailbox: 0 });
    assert.equal(await problemOf(api.create(subscription())), 'forbidden');
    sim.setSubscriptionLimits({ perMailbox: 1000 });
    sim.setRoles(sim.app.clientId, ['Mail.Send']);
    assert.equal(await problemOf(api.create(subscription())), 'forbidden');
    sim.setRoles(sim.app.clientId, ['Mail.ReadWrite']);
    assert.equal(await problemOf(api.renew('00000000-0000-0000-0000-000000000000', tooLong)), 'not-found');
    assert.equal(subscriptionProblem(new Error('x')), 'graph-error');
  });

  it('quotes Graph when a missing permission and a full mailbox look alike (403 ExtensionError)', async () => {
    const failure = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (err) {
        return subscriptionFailureText(err);
      }
      return 'none';
    };
    sim.setSubscriptionLimits({ perMailbox: 0 });
    const full = await failure(api.create(subscription()));
    assert.match(full, /^Graph refused the subscription: .*Maximum number of subscriptions has been reached/);
    assert.match(
      full,
      /\(ExtensionError, HTTP 403, request-id [0-9a-f-]+\); either the application lacks Mail\.Read/,
    );
    assert.match(full, /or the mailbox has reached its 1,000 subscriptions/);
    sim.setSubscriptionLimits({ perMailbox: 1000 });
    sim.setRoles(sim.app.clientId, ['Mail.Send']);
    assert.match(
      await failure(api.create(subscription())),
      /^Graph refused the subscription: .*Access denied/,
    );
    // Anything else keeps the error's own text.
    sim.setRoles(sim.app.clientId, ['Mail.ReadWrite']);
    answer = 'forbidden';
    assert.match(await failure(api.create(subscription())), /^Subscription validation request failed/);
    assert.equal(subscriptionFailureText(new Error('x')), 'x');
  });

  it('writes resource paths Graph accepts', () => {
    assert.equal(
      messagesResource('me', 'AAMk'),
      'me/mailFolders/AAMk/messages',
      "a delegated account's own mailbox",
    );
    assert.equal(
      messagesResource('user@contoso.example', 'AAMk=='),
      'users/user@contoso.example/mailFolders/AAMk%3D%3D/messages',
    );
    assert.equal(
      messagesResource('3f8c2a71-6d45-4e9b-a237-81c5f0d762ae@contoso.com', 'inbox'),
      'users/AAD-UPN:3f8c2a71-6d45-4e9b-a237-81c5f0d762ae@contoso.com/mailFolders/inbox/messages',
    );
  });
});
