/** The public notification endpoint, URL building and notification parsing, without Node-RED. */
import { strict as assert } from 'node:assert';
import { WakeCoalescer } from '../../../src/push/coalesce';
import { PushEndpoints } from '../../../src/push/endpoint';
import { NotificationItem, parseNotifications, sameSecret } from '../../../src/push/notifications';
import { notificationUrl } from '../../../src/push/url';

const JSON_TYPE = 'application/json; charset=utf-8';

describe('push endpoint', () => {
  let endpoints: PushEndpoints;
  let received: NotificationItem[][];

  beforeEach(() => {
    endpoints = new PushEndpoints();
    received = [];
    endpoints.register('n1', { receive: (items) => received.push(items) });
  });

  const post = (key: string, query: Record<string, unknown>, body: unknown = '', contentType = JSON_TYPE) =>
    endpoints.answer(key, { method: 'POST', query, contentType, body });

  it("echoes Graph's validation token as text/plain with 200, for a path a node waits on", () => {
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 1 <b>';
    const answer = post('n1', { validationToken: token }, '', 'text/plain; charset=utf-8');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, token);
    assert.match(answer.headers['Content-Type'], /^text\/plain/);
    assert.equal(answer.headers['X-Content-Type-Options'], 'nosniff', 'a browser never renders it as HTML');
  });

  it('does not validate a path no node waits on, nor a token that is not one', () => {
    assert.equal(post('unknown', { validationToken: 'x' }).status, 404);
    assert.equal(post('n1', { validationToken: '' }).status, 400);
    assert.equal(post('n1', { validationToken: ['a', 'b'] }).status, 400);
    assert.equal(post('n1', { validationToken: 'x'.repeat(5000) }).status, 400);
  });

  it('answers notifications with 202 at once and hands them over afterwards', async () => {
    const body = JSON.stringify({
      value: [{ subscriptionId: 's', clientState: 'c', changeType: 'created' }],
    });
    const answer = post('n1', {}, Buffer.from(body));
    assert.equal(answer.status, 202);
    assert.equal(answer.body, '');
    assert.equal(received.length, 0, 'not during the answer');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(received, [
      [{ subscriptionId: 's', clientState: 'c', changeType: 'created', lifecycleEvent: undefined }],
    ]);
  });

  it('answers anything else alike (202, nothing told) and only counts it', async () => {
    const answers = [
      post('unknown', {}, JSON.stringify({ value: [{ subscriptionId: 's', clientState: 'c' }] })),
      post('n1', {}, '{not json'),
      post('n1', {}, JSON.stringify({ value: 'x' })),
      post('n1', {}, JSON.stringify({ value: [{ clientState: 'c' }] })),
      post('n1', {}, JSON.stringify({ value: [] }), 'text/plain'),
    ];
    assert.deepEqual(
      answers.map((a) => [a.status, a.body]),
      answers.map(() => [202, '']),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(received.length, 0);
    assert.equal(endpoints.counters.ignoredPosts, 5);
  });

  it('takes a body a parser already read', async () => {
    post('n1', {}, { value: [{ subscriptionId: 's', clientState: 'c' }] });
    await new Promise((r) => setImmediate(r));
    assert.equal(received.length, 1);
  });

  it('answers only POST', () => {
    assert.equal(endpoints.answer('n1', { method: 'GET', query: {}, contentType: '', body: '' }).status, 405);
  });

  it('leaves a newer registration alone when an older one is removed (redeploy)', () => {
    const removeOld = endpoints.register('n2', { receive: () => undefined });
    endpoints.register('n2', { receive: () => undefined });
    removeOld();
    assert.ok(endpoints.has('n2'));
  });
});

describe('notification URL', () => {
  it('joins publicUrl, httpNodeRoot and the node path', () => {
    assert.deepEqual(notificationUrl('https://nr.example.com', '/', 'a1'), {
      url: 'https://nr.example.com/o365-mail-in/notify/a1',
    });
    assert.deepEqual(notificationUrl('https://nr.example.com/proxy/', '/api', 'a1'), {
      url: 'https://nr.example.com/proxy/api/o365-mail-in/notify/a1',
    });
    assert.deepEqual(notificationUrl(' https://nr.example.com:8443 ', undefined, 'a 1'), {
      url: 'https://nr.example.com:8443/o365-mail-in/notify/a%201',
    });
  });

  it('names what is wrong', () => {
    const problem = (...args: Parameters<typeof notificationUrl>) => {
      const result = notificationUrl(...args);
      return 'problem' in result ? result.problem : 'none';
    };
    assert.equal(problem('', '/', 'a'), 'no-public-url');
    assert.equal(problem(undefined, '/', 'a'), 'no-public-url');
    assert.equal(problem('http://nr.example.com', '/', 'a'), 'public-url-not-https');
    assert.equal(problem('nr.example.com', '/', 'a'), 'public-url-invalid');
    assert.equal(problem('https://nr.example.com/?a=1', '/', 'a'), 'public-url-invalid');
    assert.equal(problem('https://user:pw@nr.example.com', '/', 'a'), 'public-url-invalid');
    assert.equal(problem('https://nr.example.com', false, 'a'), 'http-node-disabled');
  });
});

describe('notification bodies', () => {
  it('reads change and lifecycle notifications, and nothing that is not a collection of them', () => {
    const body = {
      value: [
        { subscriptionId: 'a', clientState: 'c', changeType: 'created', resource: 'Users/x/Messages/y' },
        { subscriptionId: 'a', clientState: null, lifecycleEvent: 'missed' },
      ],
    };
    assert.deepEqual(parseNotifications(JSON.stringify(body)), [
      { subscriptionId: 'a', clientState: 'c', changeType: 'created', lifecycleEvent: undefined },
      { subscriptionId: 'a', clientState: '', changeType: undefined, lifecycleEvent: 'missed' },
    ]);
    assert.equal(parseNotifications('[]'), null);
    assert.equal(parseNotifications({ value: [null] }), null);
    assert.equal(parseNotifications({ value: new Array(1001).fill({ subscriptionId: 'a' }) }), null);
  });

  it('compares secrets whole and never accepts an empty one', () => {
    assert.ok(sameSecret('abc', 'abc'));
    assert.ok(!sameSecret('abd', 'abc'));
    assert.ok(!sameSecret('ab', 'abc'));
    assert.ok(!sameSecret('', ''));
  });
});

describe('wake coalescer', () => {
  it('wakes at once after a quiet spell, and once more for everything within the gap', () => {
    let time = 0;
    const timers: { at: number; fn: () => void }[] = [];
    let wakes = 0;
    const coalescer = new WakeCoalescer(() => wakes++, {
      minGapMs: 1000,
      now: () => time,
      setTimer: (fn, ms) => {
        timers.push({ at: time + ms, fn });
        return timers.length as unknown as ReturnType<typeof setTimeout>;
      },
      clearTimer: () => undefined,
    });
    coalescer.wake();
    assert.equal(wakes, 1, 'the first notification polls at once');
    for (let i = 0; i < 500; i++) coalescer.wake();
    assert.equal(wakes, 1);
    assert.equal(timers.length, 1, 'one wake-up waits for the end of the gap');
    time = 1000;
    timers[0].fn();
    assert.equal(wakes, 2);
    time = 5000;
    coalescer.wake();
    assert.equal(wakes, 3, 'after a quiet spell, at once again');
    coalescer.stop();
    coalescer.wake();
    assert.equal(wakes, 3);
  });
});
