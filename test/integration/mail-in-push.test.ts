/**
 * o365-mail-in with pollType push in the real Node-RED runtime against the simulator. Graph reaches Node-RED's
 * httpNode app through an HTTPS front with the simulator's certificate, under a path prefix, as a reverse proxy would
 * put it; the simulator refuses anything but HTTPS, as Graph does.
 */
import { strict as assert } from 'node:assert';
import * as https from 'node:https';
import { DEFAULT_APP, startSimulator, type Simulator } from '../simulator';
import { graphClient } from '../simulator/test-helpers';
import { forwardTo, type Listener, startHttpsFront, type HttpsFront } from '../support/https-front';
import { loadMailIn, MAILBOX, type MailInNode } from './mail-in-harness';
import {
  accountCredentials,
  accountNode,
  CONFIG_ID,
  helper,
  mailInProps,
  nodeModules,
  waitFor,
} from './setup';

/* eslint-disable @typescript-eslint/no-require-imports */
/** The endpoint registry the built nodes use (the same module instance). */
const { pushEndpoints } = require('../../nodes/push/endpoint.js') as typeof import('../../src/push/endpoint');
/* eslint-enable @typescript-eslint/no-require-imports */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('o365-mail-in pollType push', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let front: HttpsFront;
  let httpNode: Listener | null;

  beforeEach(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
    await helper.startServer();
    httpNode = null;
    front = await startHttpsFront(
      (req, res) => (httpNode ? httpNode(req, res) : res.writeHead(503).end()),
      '/nodered',
    );
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await front.close();
    const violations = sim.schemaViolations;
    await sim.stop();
    assert.deepEqual(violations, [], 'requests and answers follow the Graph schemas');
  });

  const publicUrl = () => `${front.url}/nodered`;
  const urlOf = (id: string) => `${publicUrl()}/o365-mail-in/notify/${id}`;
  const capture = (RED: { httpNode?: unknown }) => {
    httpNode = RED.httpNode as Listener;
  };

  /** Loads push nodes (safety net every 900 s unless given) and waits until each has its subscription. */
  async function loadPush(
    props: Record<string, unknown> = {},
    count = 1,
    account: Record<string, unknown> = {},
  ) {
    const nodes = await loadMailIn(
      sim,
      { pollType: 'push', interval: 900, pollOnStart: true, ...props },
      count,
      {
        account: { publicUrl: publicUrl(), ...account },
        onRegister: capture,
      },
    );
    return nodes;
  }

  async function pushOn(node: MailInNode): Promise<void> {
    await waitFor(() => /push on/.test(node.lastStatus?.text ?? ''), 10_000, 'push on');
  }

  /** POSTs to a node's notification path through the HTTPS front, as anyone on the internet could. */
  function postTo(path: string, body: string, contentType = 'application/json') {
    return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
      const req = https.request(
        `${publicUrl()}${path}`,
        { method: 'POST', ca: sim.ca, headers: { 'Content-Type': contentType } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: text,
              type: String(res.headers['content-type'] ?? ''),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  describe('subscribing', () => {
    it('subscribes to its folder’s new mail at its own URL under publicUrl and httpNodeRoot, validated over HTTPS', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      const [s] = sim.subscriptions();
      assert.equal(s.notificationUrl, urlOf('in0'));
      assert.equal(s.lifecycleNotificationUrl, urlOf('in0'));
      assert.equal(s.changeType, 'created');
      assert.equal(s.folderId, sim.folderId(MAILBOX, 'inbox'));
      assert.ok((s.clientState ?? '').length >= 40, 'a random clientState of its own');
      assert.deepEqual(
        sim.deliveries.filter((d) => d.kind === 'validation').map((d) => d.outcome),
        ['ok', 'ok'],
      );
      assert.ok(
        front.requests.some((r) => r.url.startsWith('/nodered/o365-mail-in/notify/in0?validationToken=')),
      );
      assert.match(node.lastStatus?.text ?? '', /push on/);
    });

    it('gives every node a path and a subscription of its own', async () => {
      const nodes = await loadPush({}, 3);
      for (const node of nodes) await pushOn(node);
      const urls = sim
        .subscriptions()
        .map((s) => s.notificationUrl)
        .sort();
      assert.deepEqual(urls, [urlOf('in0'), urlOf('in1'), urlOf('in2')]);
      assert.equal(new Set(sim.subscriptions().map((s) => s.clientState)).size, 3);
    });

    it('cleans up a subscription an earlier run left behind (a crash), before subscribing', async () => {
      // A leftover: a subscription of this app at the node's URL that no running node knows.
      const unregister = pushEndpoints.register('in0', { receive: () => undefined });
      httpNode = null;
      const direct = await startHttpsFront((req, res) => {
        const token = new URL(req.url ?? '/', 'https://x').searchParams.get('validationToken') ?? '';
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
      }, '/nodered');
      const graph = await graphClient(sim);
      const leftover = await graph.post('/subscriptions', {
        changeType: 'created',
        notificationUrl: `${direct.url}/nodered/o365-mail-in/notify/in0`,
        resource: `users/${MAILBOX}/messages`,
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        clientState: 'old',
      });
      assert.equal(leftover.status, 201);
      unregister();
      await direct.close();
      // The node is started with the publicUrl the leftover used.
      const [node] = await loadMailIn(sim, { pollType: 'push', pollOnStart: false }, 1, {
        account: { publicUrl: `${direct.url}/nodered` },
        onRegister: capture,
      });
      await waitFor(() => sim.counters.byOperation.deleteSubscription >= 1, 10_000, 'the clean-up');
      assert.ok(!sim.subscriptions().some((s) => s.id === leftover.data.id), 'the leftover is deleted');
      assert.ok(node);
    });

    it('deletes the subscription of a node removed while Node-RED was down, and nothing of others', async () => {
      // Subscriptions of this app made by an earlier run: at the path of a node no flow has any more, at the path of
      // a mail in node that now polls, and at a URL that is not this Node-RED's.
      const direct = await startHttpsFront((req, res) => {
        const token = new URL(req.url ?? '/', 'https://x').searchParams.get('validationToken') ?? '';
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
      });
      const graph = await graphClient(sim);
      const subscribe = async (notificationUrl: string) => {
        const res = await graph.post('/subscriptions', {
          changeType: 'created',
          notificationUrl,
          resource: `users/${MAILBOX}/messages`,
          expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
          clientState: 'old',
        });
        assert.equal(res.status, 201);
        return res.data.id as string;
      };
      const removed = await subscribe(`${direct.url}/nodered/o365-mail-in/notify/removed-node`);
      const polling = await subscribe(`${direct.url}/nodered/o365-mail-in/notify/in1`);
      const foreign = await subscribe(`${direct.url}/other-app/notify/removed-node`);
      // pushNode pushes; pollingNode, at whose path an earlier run subscribed, polls now.
      const { config, mailIn } = nodeModules();
      const node = (id: string, pollType: string) => ({
        id,
        z: 'tabO',
        name: '',
        account: CONFIG_ID,
        wires: [[]],
        ...mailInProps(MAILBOX, { pollType, interval: 900, pollOnStart: false }),
      });
      await helper.load(
        [config, (RED: { httpNode?: unknown }) => (capture(RED), mailIn(RED))],
        [
          { id: 'tabO', type: 'tab', label: 'orphans' },
          accountNode(sim, { publicUrl: `${direct.url}/nodered` }),
          node('pushNode', 'push'),
          node('in1', 'interval'),
        ],
        accountCredentials(sim),
      );
      try {
        await waitFor(() => sim.counters.byOperation.createSubscription === 4, 10_000, 'subscribed');
        await waitFor(() => sim.subscriptions().length === 2, 10_000, 'the clean-up');
        const left = sim.subscriptions().map((s) => s.notificationUrl);
        assert.deepEqual(left.sort(), [
          `${direct.url}/nodered/o365-mail-in/notify/pushNode`,
          `${direct.url}/other-app/notify/removed-node`,
        ]);
        assert.ok(![removed, polling].some((id) => sim.subscriptions().some((s) => s.id === id)));
        assert.ok(sim.subscriptions().some((s) => s.id === foreign));
      } finally {
        await helper.unload();
        await direct.close();
      }
    });
  });

  describe('notifications', () => {
    it('delivers a new mail as soon as Graph notifies, through the same receive engine (marked read after)', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      await waitFor(() => node.pollsEnded >= 1, 10_000, 'the start poll');
      const id = sim.addMessage(MAILBOX, 'inbox', { subject: 'pushed' });
      await waitFor(
        () => node.messages.length === 1,
        10_000,
        'the pushed mail (the safety net is 15 minutes away)',
      );
      assert.equal(node.messages[0].topic, 'pushed');
      await waitFor(() => sim.getMessage(MAILBOX, id)?.isRead === true, 5000, 'the acknowledgement');
      assert.ok(sim.deliveries.some((d) => d.kind === 'change' && d.outcome === 'ok'));
    });

    /** 500 mails arrive at once; returns the polls they made and the notification POSTs Graph sent. */
    async function burstOf500(maxBatch: number) {
      const [node] = await loadPush({ maxMessages: 0 });
      await pushOn(node);
      await waitFor(() => node.pollsEnded >= 1, 10_000, 'the start poll');
      sim.setNotifications({ maxBatch });
      const polls = node.pollsEnded;
      sim.seedMessages(MAILBOX, 'inbox', 500);
      await waitFor(() => node.messages.length === 500, 40_000, '500 mails');
      await waitFor(() => sim.pendingNotifications === 0, 40_000, 'every notification sent');
      await sleep(1500);
      const posts = sim.deliveries.filter((d) => d.kind === 'change' && d.outcome === 'ok');
      assert.equal(
        posts.reduce((n, d) => n + d.count, 0),
        500,
        '500 notifications',
      );
      assert.equal(new Set(node.messages.map((m) => m.o365.id)).size, 500, 'each mail once');
      assert.ok(sim.counters.maxInFlightByMailbox[MAILBOX] <= 4);
      return { polls: node.pollsEnded - polls, posts };
    }

    it('makes a handful of polls, never overlapping, for a burst of 500 notifications', async () => {
      const { polls, posts } = await burstOf500(50);
      assert.ok(polls <= 4, `${polls} polls for 500 notifications in ${posts.length} POSTs`);
    });

    it('polls at most once a second while notifications stream in one POST each', async () => {
      const { polls, posts } = await burstOf500(1);
      assert.equal(posts.length, 500, '500 POSTs');
      const seconds = (posts[posts.length - 1].at.getTime() - posts[0].at.getTime()) / 1000;
      assert.ok(polls <= Math.ceil(seconds) + 2, `${polls} polls for 500 POSTs over ${seconds} s`);
    });

    it('never trusts a notification: a guessed clientState wakes nothing, a forged one only makes a poll', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      await waitFor(() => node.pollsEnded >= 1, 10_000, 'the start poll');
      const [s] = sim.subscriptions();
      const polls = node.pollsEnded;
      const guessed = await postTo(
        '/o365-mail-in/notify/in0',
        JSON.stringify({ value: [{ subscriptionId: s.id, clientState: 'guess', changeType: 'created' }] }),
      );
      assert.equal(guessed.status, 202);
      await sleep(300);
      assert.equal(node.pollsEnded, polls, 'no poll for a wrong clientState');
      await waitFor(() => node.warnings.some((w) => /ignored 1 notification/.test(w)), 5000, 'the warning');
      // Even with the right clientState, what a notification says is not mail: the node polls Graph and finds none.
      const forged = await postTo(
        '/o365-mail-in/notify/in0',
        JSON.stringify({
          value: [
            {
              subscriptionId: s.id,
              clientState: s.clientState,
              changeType: 'created',
              resourceData: { id: 'AAMkAGforged', subject: 'pay this invoice' },
            },
          ],
        }),
      );
      assert.equal(forged.status, 202);
      await waitFor(() => node.pollsEnded > polls, 5000, 'the poll');
      assert.equal(node.messages.length, 0);
      assert.equal(node.errors.length, 0);
    });

    it('answers validation for its own path only (text/plain), and anything else with 202 and nothing more', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      const token = 'Validation: Testing client application reachability <script>';
      const valid = await postTo(
        `/o365-mail-in/notify/in0?validationToken=${encodeURIComponent(token)}`,
        '',
        'text/plain',
      );
      assert.deepEqual([valid.status, valid.body], [200, token]);
      assert.match(valid.type, /^text\/plain/);
      assert.equal(
        (await postTo('/o365-mail-in/notify/nobody?validationToken=x', '', 'text/plain')).status,
        404,
      );
      for (const answer of [
        await postTo('/o365-mail-in/notify/in0', '{"value": "nonsense"}'),
        await postTo('/o365-mail-in/notify/nobody', '{"value": []}'),
      ]) {
        assert.deepEqual([answer.status, answer.body], [202, '']);
      }
      // Over 1 MB is refused without reading on: a 413, or the connection closed under the upload.
      const huge = await postTo('/o365-mail-in/notify/in0', 'x'.repeat(2 * 1024 * 1024)).catch(() => ({
        status: 0,
      }));
      assert.ok([0, 413].includes(huge.status), String(huge.status));
    });

    it('catches mail whose notification was lost with its safety-net poll', async () => {
      const [node] = await loadPush({ interval: 2 });
      await pushOn(node);
      sim.setNotifications({ lossRate: 1 });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'lost notification' });
      await waitFor(() => node.messages.length === 1, 10_000, 'the safety-net poll');
      assert.ok(sim.deliveries.some((d) => d.outcome === 'lost'));
    });

    it('fetches what is left right away when a woken poll stopped at maxMessages', async () => {
      const [node] = await loadPush({ maxMessages: 10 });
      await pushOn(node);
      await waitFor(() => node.pollsEnded >= 1, 10_000, 'the start poll');
      sim.setNotifications({ delayMs: 200, maxBatch: 50 });
      sim.seedMessages(MAILBOX, 'inbox', 35);
      await waitFor(() => node.messages.length === 35, 20_000, '35 mails, 10 per poll');
    });
  });

  describe('lifecycle', () => {
    it('renews before the expiration Graph returned and keeps notifying', async () => {
      // A lifetime of 8 s: the node renews when a quarter is left, so a renewal slowed by a busy machine (CI runs
      // this suite twice, the second time under load) still lands before Graph would drop the subscription.
      sim.setSubscriptionLimits({ grantedLifetimeMs: 8000 });
      const [node] = await loadPush();
      await pushOn(node);
      const id = sim.subscriptions()[0].id;
      await waitFor(() => sim.counters.byOperation.updateSubscription >= 2, 30_000, 'two renewals');
      assert.equal(sim.subscriptions()[0].id, id, 'the same subscription, renewed');
      sim.addMessage(MAILBOX, 'inbox');
      await waitFor(() => node.messages.length === 1, 10_000, 'a notification after renewals').catch(
        (err: Error) => {
          const seen = { deliveries: sim.deliveries.slice(-3), subscriptions: sim.subscriptions().length };
          throw new Error(`${err.message}; the simulator saw ${JSON.stringify(seen)}`);
        },
      );
    });

    it('polls on missed', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      await waitFor(() => node.pollsEnded >= 1, 10_000, 'the start poll');
      sim.setNotifications({ lossRate: 1 });
      sim.addMessage(MAILBOX, 'inbox');
      sim.raiseLifecycleEvent(sim.subscriptions()[0].id, 'missed');
      await waitFor(() => node.messages.length === 1, 10_000, 'the poll after missed');
    });

    it('subscribes again and polls on subscriptionRemoved', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      const old = sim.subscriptions()[0].id;
      sim.setNotifications({ lossRate: 1 });
      sim.addMessage(MAILBOX, 'inbox');
      sim.raiseLifecycleEvent(old, 'subscriptionRemoved');
      await waitFor(
        () => sim.subscriptions().length === 1 && sim.subscriptions()[0].id !== old,
        10_000,
        'a new one',
      );
      await waitFor(() => node.messages.length === 1, 10_000, 'the poll after subscribing again');
    });

    it('reauthorizes on reauthorizationRequired and polls for what the pause hid', async () => {
      const [node] = await loadPush();
      await pushOn(node);
      const [s] = sim.subscriptions();
      sim.raiseLifecycleEvent(s.id, 'reauthorizationRequired');
      sim.addMessage(MAILBOX, 'inbox', { subject: 'during the pause' });
      await waitFor(() => sim.counters.byOperation.reauthorizeSubscription === 1, 10_000, 'reauthorize');
      await waitFor(() => node.messages.length === 1, 10_000, 'the poll after reauthorizing');
      assert.equal(sim.subscriptions()[0].paused, false);
      sim.addMessage(MAILBOX, 'inbox', { subject: 'after' });
      await waitFor(() => node.messages.length === 2, 10_000, 'notified again');
    });
  });

  describe('deploys', () => {
    function flow(props: Record<string, unknown>) {
      return [
        { id: 'tabR', type: 'tab', label: 'push' },
        accountNode(sim, { publicUrl: publicUrl() }),
        {
          id: 'pushNode',
          z: 'tabR',
          name: '',
          account: CONFIG_ID,
          wires: [[]],
          ...mailInProps(MAILBOX, { pollType: 'push', ...props }),
        },
      ];
    }

    it('leaves no subscription behind on redeploy, removal and stop', async () => {
      const { config, mailIn } = nodeModules();
      await helper.load(
        [config, (RED: { httpNode?: unknown }) => (capture(RED), mailIn(RED))],
        flow({}),
        accountCredentials(sim),
      );
      await waitFor(() => sim.subscriptions().length === 1, 10_000, 'subscribed');
      const first = sim.subscriptions()[0].id;
      await helper.setFlows(flow({ folder: 'Inbox' }), 'nodes', accountCredentials(sim));
      await waitFor(
        () => sim.subscriptions().length === 1 && sim.subscriptions()[0].id !== first,
        10_000,
        'resubscribed',
      );
      assert.equal(sim.counters.byOperation.deleteSubscription, 1, 'the old one deleted on close');
      await helper.setFlows(flow({}).slice(0, 2), 'full', accountCredentials(sim));
      assert.equal(sim.subscriptions().length, 0, 'a removed node deletes its subscription');
      await helper.setFlows(flow({}), 'full', accountCredentials(sim));
      await waitFor(() => sim.subscriptions().length === 1, 10_000, 'subscribed again');
      await helper.unload();
      assert.equal(sim.subscriptions().length, 0, 'stopping Node-RED deletes it');
    });
  });

  describe('without push', () => {
    it('polls at the interval and says why when there is no public URL', async () => {
      const [node] = await loadMailIn(sim, { pollType: 'push', interval: 1, pollOnStart: false }, 1, {
        account: { publicUrl: '' },
        onRegister: capture,
      });
      await waitFor(() => node.pollsEnded >= 2, 10_000, 'two safety-net polls');
      assert.match(node.lastStatus?.text ?? '', /polling only: no public URL/);
      assert.equal(node.lastStatus?.fill, 'yellow');
      assert.ok(node.warnings.some((w) => /change notifications unavailable: no public URL/.test(w)));
      assert.equal(sim.counters.byOperation.createSubscription, 0);
    });

    it('refuses an http public URL itself', async () => {
      const [node] = await loadPush({}, 1, { publicUrl: 'http://nodered.example' });
      await waitFor(() => /public URL is not https/.test(node.lastStatus?.text ?? ''), 5000, 'the reason');
      assert.equal(sim.counters.byOperation.createSubscription, 0);
    });

    it('falls back when Graph cannot validate the URL, with Graph’s reason in the log', async () => {
      const [node] = await loadPush({ interval: 1 }, 1, { publicUrl: 'https://127.0.0.1:1/unreachable' });
      await waitFor(
        () => /URL failed Graph/.test(node.lastStatus?.text ?? ''),
        10_000,
        'the fallback status',
      );
      assert.ok(
        node.warnings.some((w) => /Subscription validation request failed/.test(w)),
        node.warnings.join('\n'),
      );
      await waitFor(() => node.pollsEnded >= 2, 10_000, 'polls go on');
      assert.equal(sim.subscriptions().length, 0);
    });

    it('falls back when Graph refuses the subscription (permission missing, mailbox limit), and says so', async () => {
      // The mailbox has its 1,000 subscriptions (here: none allowed): reading works, subscribing does not.
      sim.setSubscriptionLimits({ perMailbox: 0 });
      const [node] = await loadPush({ interval: 1 });
      await waitFor(
        () => /polling only: Graph refused \(permission or limit\)/.test(node.lastStatus?.text ?? ''),
        10_000,
        'the fallback status',
      );
      assert.equal(node.lastStatus?.fill, 'yellow');
      assert.ok(
        node.warnings.some((w) =>
          /change notifications unavailable \(.*Maximum number of subscriptions/.test(w),
        ),
        node.warnings.join('\n'),
      );
      const polls = node.pollsEnded;
      await waitFor(() => node.pollsEnded >= polls + 2, 10_000, 'safety-net polls go on');
      sim.addMessage(MAILBOX, 'inbox', { subject: 'polled' });
      await waitFor(() => node.messages.length === 1, 10_000, 'the mail, by polling');
    });

    it('names a missing permission in the log when Graph refuses access', async () => {
      // Without any read permission the folder cannot be found (nor polled); the log says why push is off.
      sim.setRoles(DEFAULT_APP.clientId, ['Mail.Send']);
      const [node] = await loadPush({ interval: 900 });
      const reason = /change notifications unavailable \(The application lacks Mail\.Read .*HTTP 403/;
      await waitFor(() => node.warnings.some((w) => reason.test(w)), 10_000, 'the reason in the log');
      assert.equal(sim.subscriptions().length, 0);
    });

    it('works behind a reverse proxy that forwards to Node-RED’s own HTTP port', async () => {
      // The helper's server does not serve httpNode; a proxy in front of a small HTTP server that does stands in.
      const http = await import('node:http');
      const origin = http.createServer((req, res) =>
        httpNode ? httpNode(req, res) : res.writeHead(503).end(),
      );
      await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
      const proxy = await startHttpsFront(
        forwardTo(`http://127.0.0.1:${(origin.address() as { port: number }).port}`),
      );
      try {
        const [node] = await loadPush({}, 1, { publicUrl: proxy.url });
        await pushOn(node);
        sim.addMessage(MAILBOX, 'inbox');
        await waitFor(() => node.messages.length === 1, 10_000, 'the pushed mail');
      } finally {
        await helper.unload();
        await proxy.close();
        await new Promise((r) => origin.close(r));
      }
    });
  });

  describe('editor endpoints', () => {
    it('shows the notification URL of a node, or what is wrong with the public URL', async () => {
      await loadPush();
      const ok = await helper
        .request()
        .get('/o365-mail-in/push-url')
        .query({ node: 'abc', publicUrl: 'https://nr.example.com/x/' });
      assert.deepEqual(ok.body, { url: 'https://nr.example.com/x/o365-mail-in/notify/abc' });
      const bad = await helper
        .request()
        .get('/o365-mail-in/push-url')
        .query({ node: 'abc', publicUrl: 'http://nr.example.com' });
      assert.equal(bad.body.problem, 'public-url-not-https');
    });

    it('Test connection checks that the public URL answers Graph’s validation request', async () => {
      await loadPush();
      const body = {
        ...accountNode(sim),
        credentials: { clientSecret: sim.app.secrets?.[0]?.value },
        publicUrl: publicUrl(),
      };
      const ok = await helper.request().post('/o365-config/test').send(body);
      assert.equal(ok.body.push.ok, true, JSON.stringify(ok.body.push));
      assert.equal(ok.body.push.url, `${publicUrl()}/o365-mail-in/notify/{node id}`);
      const down = await helper
        .request()
        .post('/o365-config/test')
        .send({ ...body, publicUrl: 'https://127.0.0.1:1' });
      assert.deepEqual([down.body.push.ok, down.body.push.problem], [false, 'unreachable']);
      const plain = await helper
        .request()
        .post('/o365-config/test')
        .send({ ...body, publicUrl: 'http://nr.example' });
      assert.equal(plain.body.push.problem, 'public-url-not-https');
    });
  });
});
