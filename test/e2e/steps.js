// The steps of the browser test, in the order a user meets them: palette, the three edit dialogs,
// Test connection, deploy, credentials at rest, a real poll, then the examples.
'use strict';
/* global RED, $, fetch, AbortSignal */
const fs = require('fs');
const path = require('path');
const { check, waitUntil } = require('./harness');
const editor = require('./editor');
const { delegatedSteps } = require('./delegated-steps');

const PACKAGE = '@mailgraph/node-red-o365-mail';
const CONFIG_FIELDS = [
  'name',
  'tenantId',
  'applicationId',
  'cloud',
  'authorityHost',
  'graphEndpoint',
  'authType',
  'certificateThumbprint',
  'publicUrl',
  'clientSecret',
  'privateKey',
  'certificate',
  'testMailbox',
];
const MAIL_IN_FIELDS = [
  'name',
  'account',
  'username',
  'folder',
  'filter',
  'search',
  'action',
  'moveTo',
  'pollType',
  'cron',
  'interval',
  'pollOnStart',
  'maxMessages',
  'bodyFormat',
  'attachments',
  'output',
];
const MAIL_OUT_TYPED = ['username', 'subject', 'toRecipients', 'ccRecipients', 'bccRecipients'];
const MAIL_OUT_FIELDS = [
  'name',
  'account',
  ...MAIL_OUT_TYPED,
  ...MAIL_OUT_TYPED.map((p) => `${p}Type`),
  'save',
  'bodyType',
  'mode',
];

const MAIL_ACTION_FIELDS = [
  'name',
  'account',
  'username',
  'usernameType',
  'operation',
  'target',
  'targetType',
  'categoryMode',
  'bodyFormat',
  'attachments',
  'output',
];

/** SPEC's value lists and defaults, as a fresh edit dialog must show them. */
const SPEC_OPTIONS = {
  config: {
    cloud: ['global', 'usgov', 'usgovdod', 'china', 'custom'],
    authType: ['secret', 'certificate', 'delegated'],
  },
  mailIn: {
    action: ['read', 'delete', 'move', 'none'],
    pollType: ['cron', 'interval', 'manual', 'push'],
    bodyFormat: ['text', 'html'],
    output: ['message', 'mime'],
  },
  mailOut: { bodyType: ['auto', 'text', 'html', 'mime'], mode: ['send', 'reply', 'replyAll', 'forward'] },
  mailAction: {
    operation: [
      'markRead',
      'markUnread',
      'move',
      'copy',
      'delete',
      'flag',
      'unflag',
      'complete',
      'categorize',
      'get',
      'getMime',
    ],
    categoryMode: ['add', 'remove', 'set'],
    bodyFormat: ['text', 'html'],
    output: ['message', 'mime'],
  },
};
const SPEC_DEFAULTS = {
  config: { cloud: 'global', authType: 'secret', authorityHost: '', graphEndpoint: '', publicUrl: '' },
  mailIn: {
    folder: 'inbox',
    filter: 'isRead eq false',
    search: '',
    action: 'read',
    pollType: 'cron',
    cron: '0 */5 * * * ?',
    interval: '300',
    pollOnStart: true,
    maxMessages: '100',
    bodyFormat: 'text',
    attachments: true,
    output: 'message',
  },
  mailOut: {
    ...Object.fromEntries(MAIL_OUT_TYPED.map((p) => [`${p}Type`, 'str'])),
    save: true,
    bodyType: 'auto',
    mode: 'send',
  },
  mailAction: {
    username: '',
    usernameType: 'str',
    operation: 'markRead',
    target: '',
    targetType: 'str',
    categoryMode: 'add',
    bodyFormat: 'text',
    attachments: true,
    output: 'message',
  },
};

/** Fails listing every missing field, wrong value list and wrong default of a fresh dialog. */
async function checkFreshDialog(page, prefix, fields, kind) {
  const problems = [
    ...(await editor.missingInputs(page, prefix, fields)).map((id) => `missing ${id}`),
    ...(await editor.optionMismatches(page, prefix, SPEC_OPTIONS[kind])),
    ...(await editor.defaultMismatches(page, prefix, SPEC_DEFAULTS[kind])),
  ];
  check(problems.length === 0, problems.join('; '));
}

function screenshot(page, ctx, file) {
  return page.screenshot({ path: path.join(ctx.imagesDir, file) });
}

async function expectVisibility(page, cases) {
  const wrong = [];
  for (const { situation, change, expected } of cases) {
    await change();
    wrong.push(...(await editor.visibilityMismatches(page, expected, situation)));
  }
  check(wrong.length === 0, wrong.join('; '));
}

/** Every step, as [name, fn(ctx), options]; ctx carries the page, simulator and ids between steps. */
function browserSteps(ctx) {
  const { page } = ctx;
  const reset = { onFailure: () => editor.closeDialogs(page) };
  return [
    [
      'Node-RED loaded the four node types from the installed tarball',
      async () => {
        const response = await fetch(`${ctx.url}nodes`, { headers: { Accept: 'application/json' } });
        const sets = (await response.json()).filter((set) => set.module === PACKAGE);
        const types = sets.flatMap((set) => set.types).sort();
        check(
          JSON.stringify(types) ===
            JSON.stringify(['o365-config', 'o365-mail-action', 'o365-mail-in', 'o365-mail-out']),
          `types registered: ${types.join(', ') || 'none'}`,
        );
        const broken = sets.filter((set) => set.err || !set.enabled);
        check(broken.length === 0, broken.map((set) => `${set.id}: ${set.err || 'disabled'}`).join('; '));
        check(sets[0].version === ctx.version, `installed version ${sets[0].version}, packed ${ctx.version}`);
      },
    ],
    [
      'palette shows "mail in", "mail out" and "mail action" in the category Microsoft 365',
      async () => {
        await editor.filterPalette(page, '');
        for (const [type, label] of [
          ['o365-mail-in', 'mail in'],
          ['o365-mail-out', 'mail out'],
          ['o365-mail-action', 'mail action'],
        ]) {
          const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
          check((await entry.count()) === 1, `${type} is not in the palette`);
          const shown = (await entry.locator('.red-ui-palette-label').innerText()).trim();
          check(shown === label, `${type} is labelled "${shown}", expected "${label}"`);
          const category = await page.evaluate((t) => RED.nodes.getType(t).category, type);
          check(category === 'Microsoft 365', `${type} is in category "${category}"`);
        }
      },
    ],
    [
      'the help of every node renders from Markdown: headings, message properties with their types, no stray colons',
      async () => {
        const helps = await page.evaluate(
          (types) => types.map((t) => [t, RED.nodes.getNodeHelp(t)]),
          ['o365-config', 'o365-mail-in', 'o365-mail-out', 'o365-mail-action'],
        );
        for (const [type, html] of helps) {
          check(
            /<h3[^>]*>Details<\/h3>/.test(html) && /<h3[^>]*>References<\/h3>/.test(html),
            `${type}: no Details/References in ${html.slice(0, 300)}`,
          );
          if (type === 'o365-config') continue;
          check(
            /<dl class="message-properties">/.test(html),
            `${type}: its message properties are not a list`,
          );
          const properties = (html.match(/<span class="property-type">/g) || []).length;
          check(properties >= 2, `${type}: ${properties} message properties rendered`);
          check(!/<p>: /.test(html), `${type}: a message property line was left as text`);
        }
      },
    ],
    [
      'mail in: dragged from the palette, its dialog has every SPEC field, value list and default',
      async () => {
        ctx.mailInId = await editor.dragFromPalette(page, 'o365-mail-in', 'mail in', 200, 120);
        await editor.openNodeDialog(page, ctx.mailInId);
        await checkFreshDialog(page, 'node-input', MAIL_IN_FIELDS, 'mailIn');
      },
    ],
    [
      'mail in: moveTo shows only for action move; cron and interval follow pollType; search shows its warning',
      async () => {
        const select = (id, value) => () => page.selectOption(id, value);
        const type = (id, value) => async () => {
          await page.fill(id, value);
          await page.dispatchEvent(id, 'change');
        };
        await expectVisibility(page, [
          {
            situation: 'action move',
            change: select('#node-input-action', 'move'),
            expected: { '#node-input-moveTo': true },
          },
          {
            situation: 'action read',
            change: select('#node-input-action', 'read'),
            expected: { '#node-input-moveTo': false },
          },
          {
            situation: 'pollType cron',
            change: select('#node-input-pollType', 'cron'),
            expected: { '#node-input-cron': true, '#node-input-interval': false },
          },
          {
            situation: 'pollType interval',
            change: select('#node-input-pollType', 'interval'),
            expected: { '#node-input-cron': false, '#node-input-interval': true },
          },
          {
            situation: 'pollType manual',
            change: select('#node-input-pollType', 'manual'),
            expected: {
              '#node-input-cron': false,
              '#node-input-interval': false,
              '#o365-mail-in-push-url': false,
            },
          },
          {
            situation: 'pollType push',
            change: select('#node-input-pollType', 'push'),
            expected: {
              '#node-input-cron': false,
              '#node-input-interval': true,
              '#o365-mail-in-push-url': true,
            },
          },
          {
            situation: 'search set',
            change: type('#node-input-search', 'subject:invoice'),
            expected: { '#o365-mail-in-search-tip': true },
          },
          {
            situation: 'search cleared',
            change: type('#node-input-search', ''),
            expected: { '#o365-mail-in-search-tip': false },
          },
        ]);
        // With a search the node applies the filter itself: the filter stays editable, and the dialog warns.
        await type('#node-input-search', 'subject:invoice')();
        check(await page.isEnabled('#node-input-filter'), 'the filter is disabled while a search is set');
        const tip = page.locator('#o365-mail-in-search-tip');
        check(/o365-warning/.test((await tip.getAttribute('class')) || ''), 'the search note is no warning');
        check(/1,000/.test(await tip.innerText()), 'the search note does not name the 1,000 results');
        await type('#node-input-search', '')();
        // Push polls only as a safety net: choosing it turns polling's 300 s into 900 s, and says where Graph calls.
        const setInterval = (seconds) => page.evaluate((s) => $('#node-input-interval').val(s), seconds);
        await page.selectOption('#node-input-pollType', 'interval');
        await setInterval('300');
        await page.selectOption('#node-input-pollType', 'push');
        check((await page.inputValue('#node-input-interval')) === '900', 'push kept the 300 s of polling');
        const pushUrl = page.locator('#o365-mail-in-push-url');
        await waitUntil(async () => /public URL|Graph will call/.test(await pushUrl.innerText()), {
          timeoutMs: 5000,
          what: 'the notification URL or why there is none',
        });
        await page.selectOption('#node-input-pollType', 'cron');
        await setInterval('300');
      },
      { requires: ['mailInId'] },
    ],
    [
      'mail in: the dialog marks a bad mailbox; the runtime checks the cron expression and the dialog shows its answer',
      async () => {
        const cron = '#node-input-cron';
        const next = page.locator('#o365-mail-in-cron-next');
        const marked = async (id = cron) =>
          ((await page.getAttribute(id, 'class')) || '').includes('input-error');
        // The dialog's own checks report their problem (Node-RED reads text answers only from 2-argument checks).
        await page.fill('#node-input-username', 'not an address');
        await page.dispatchEvent('#node-input-username', 'change');
        check(await marked('#node-input-username'), 'a mailbox that is no address is not marked');
        await page.fill('#node-input-username', '');
        await page.selectOption('#node-input-pollType', 'cron');
        await page.fill(cron, '0 61 * * * ?');
        await page.dispatchEvent(cron, 'change');
        await waitUntil(async () => (await marked()) && /61/.test(await next.innerText()), {
          timeoutMs: 10000,
          what: "the dialog marking minute 61 with the runtime's answer",
        });
        await page.fill(cron, '0 */5 * * * ?');
        await page.dispatchEvent(cron, 'change');
        await waitUntil(async () => !(await marked()) && /·/.test(await next.innerText()), {
          timeoutMs: 10000,
          what: 'the next runs of "0 */5 * * * ?"',
        });
      },
      { requires: ['mailInId'] },
    ],
    [
      'config: "add new" from mail in opens a dialog with every field and default; the secret is a password input',
      async () => {
        const add = page.locator('#node-input-btn-account-add, #node-input-lookup-account').first();
        await add.click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        ctx.configDialogOpen = true;
        const type = await page.getAttribute('#node-config-input-clientSecret', 'type');
        check(type === 'password', `clientSecret input has type "${type}"`);
        check((await page.locator('#o365-config-test-button').count()) === 1, 'no #o365-config-test-button');
        await checkFreshDialog(page, 'node-config-input', CONFIG_FIELDS, 'config');
      },
      { requires: ['mailInId'] },
    ],
    [
      'config: authority and Graph endpoint show only for cloud custom; secret or key follow authType',
      async () => {
        const select = (id, value) => () => page.selectOption(id, value);
        const custom = { '#node-config-input-authorityHost': true, '#node-config-input-graphEndpoint': true };
        const global = {
          '#node-config-input-authorityHost': false,
          '#node-config-input-graphEndpoint': false,
        };
        await expectVisibility(page, [
          {
            situation: 'cloud custom',
            change: select('#node-config-input-cloud', 'custom'),
            expected: custom,
          },
          {
            situation: 'cloud global',
            change: select('#node-config-input-cloud', 'global'),
            expected: global,
          },
          {
            situation: 'authType certificate',
            change: select('#node-config-input-authType', 'certificate'),
            expected: { '#node-config-input-privateKey': true, '#node-config-input-clientSecret': false },
          },
          {
            situation: 'authType secret',
            change: select('#node-config-input-authType', 'secret'),
            expected: { '#node-config-input-privateKey': false, '#node-config-input-clientSecret': true },
          },
        ]);
        // Graph calls HTTPS only: the dialog marks anything else, and shows the URL mail in nodes will get.
        const publicUrl = '#node-config-input-publicUrl';
        const marked = async () =>
          ((await page.getAttribute(publicUrl, 'class')) || '').includes('input-error');
        const shown = page.locator('#o365-config-push-url');
        await page.fill(publicUrl, 'http://nodered.example.com');
        await page.dispatchEvent(publicUrl, 'change');
        check(await marked(), 'an http public URL is not marked');
        await page.fill(publicUrl, 'https://nodered.example.com/proxy');
        await page.dispatchEvent(publicUrl, 'change');
        check(!(await marked()), 'an https public URL is marked');
        await waitUntil(
          async () =>
            (await shown.innerText()).includes('https://nodered.example.com/proxy/o365-mail-in/notify/'),
          { timeoutMs: 5000, what: 'the notification URL under the public URL' },
        );
        await page.fill(publicUrl, '');
        await page.dispatchEvent(publicUrl, 'change');
      },
      { requires: ['configDialogOpen'] },
    ],
    [
      'config: Test connection against the simulator reports the token and the roles, never the secret',
      async () => {
        await page.fill('#node-config-input-name', 'Contoso (simulator)');
        await page.selectOption('#node-config-input-cloud', 'custom');
        await page.fill('#node-config-input-authorityHost', ctx.sim.url);
        await page.fill('#node-config-input-graphEndpoint', ctx.sim.url);
        await page.fill('#node-config-input-tenantId', ctx.sim.tenantId);
        await page.fill('#node-config-input-applicationId', ctx.clientId);
        await page.selectOption('#node-config-input-authType', 'secret');
        await page.fill('#node-config-input-clientSecret', ctx.clientSecret);
        await page.fill('#node-config-input-testMailbox', ctx.mailbox);
        const tokensBefore = ctx.sim.counters.tokenRequests;
        await page.click('#o365-config-test-button');
        const result = page.locator('#o365-config-test-result');
        const text = await waitUntil(
          async () => {
            const shown = (await result.innerText()).trim();
            return /Mail\.ReadWrite/.test(shown) && /Mail\.Send/.test(shown) ? shown : null;
          },
          { timeoutMs: 30000, what: 'the test result listing Mail.ReadWrite and Mail.Send' },
        ).catch(async (err) => {
          throw new Error(`${err.message}; it shows: "${(await result.innerText()).trim()}"`);
        });
        check(!text.includes(ctx.clientSecret), 'the test result shows the client secret');
        check(/token/i.test(text), `the test result does not mention the token: "${text}"`);
        check(ctx.sim.counters.tokenRequests > tokensBefore, 'the simulator issued no token');
        await screenshot(page, ctx, 'o365-config.png');
      },
      { requires: ['configDialogOpen'] },
    ],
    [
      'config and mail in: saved with the values typed in',
      async () => {
        await page.click('#node-config-dialog-ok');
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
        ctx.configId = (await editor.configNodeIds(page, 'o365-config'))[0];
        check(ctx.configId, 'no o365-config node after Add');
        const selected = await page.inputValue('#node-input-account');
        check(selected === ctx.configId, `mail in account is "${selected}", not the new config`);
        await page.fill('#node-input-username', ctx.mailbox);
        await page.selectOption('#node-input-action', 'read');
        await page.selectOption('#node-input-pollType', 'interval');
        await page.fill('#node-input-interval', '60');
        await screenshot(page, ctx, 'o365-mail-in.png');
        await page.click('#node-dialog-ok');
        await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
        const saved = await page.evaluate(
          ([inId, cfgId]) => {
            const n = RED.nodes.node(inId);
            const c = RED.nodes.node(cfgId);
            return {
              n: { ...n, _def: undefined, _: undefined },
              c: { ...c, _def: undefined, _: undefined, users: [] },
            };
          },
          [ctx.mailInId, ctx.configId],
        );
        const expected = [
          [saved.c.cloud, 'custom'],
          [saved.c.authorityHost, ctx.sim.url],
          [saved.c.tenantId, ctx.sim.tenantId],
          [saved.c.applicationId, ctx.clientId],
          [saved.n.account, ctx.configId],
          [saved.n.username, ctx.mailbox],
          [saved.n.pollType, 'interval'],
          [String(saved.n.interval), '60'],
        ];
        const wrong = expected
          .filter(([got, want]) => got !== want)
          .map(([got, want]) => `${got} != ${want}`);
        check(wrong.length === 0, `saved values differ: ${wrong.join('; ')}`);
      },
      { ...reset, requires: ['configDialogOpen'] },
    ],
    [
      'mail out: dragged from the palette, every field and default, TypedInput types kept in <prop>Type',
      async () => {
        ctx.mailOutId = await editor.dragFromPalette(page, 'o365-mail-out', 'mail out', 420, 220);
        await editor.openNodeDialog(page, ctx.mailOutId);
        await checkFreshDialog(page, 'node-input', MAIL_OUT_FIELDS, 'mailOut');
        if ((await page.inputValue('#node-input-account')) !== ctx.configId) {
          await page.selectOption('#node-input-account', ctx.configId);
        }
        // A MIME body is a whole mail: its recipients and subject come from it, so the fields hide.
        const row = (prop) => `.form-row:has(#node-input-${prop})`;
        await expectVisibility(page, [
          {
            situation: 'bodyType mime',
            change: () => page.selectOption('#node-input-bodyType', 'mime'),
            expected: { [row('subject')]: false, [row('toRecipients')]: false, '#node-input-mode': true },
          },
          {
            situation: 'bodyType auto, mode reply',
            change: async () => {
              await page.selectOption('#node-input-bodyType', 'auto');
              await page.selectOption('#node-input-mode', 'reply');
            },
            expected: { [row('subject')]: true, [row('toRecipients')]: true },
          },
        ]);
        await page.selectOption('#node-input-mode', 'send');
        await editor.typedInputBox(page, 'username').fill(ctx.mailbox);
        await editor.chooseTypedInputType(page, 'subject', 'msg');
        await editor.typedInputBox(page, 'subject').fill('topic');
        await editor.typedInputBox(page, 'toRecipients').fill('colleague@contoso.example');
        const subjectType = await page.inputValue('#node-input-subjectType');
        check(subjectType === 'msg', `#node-input-subjectType is "${subjectType}" after choosing msg.`);
        await screenshot(page, ctx, 'o365-mail-out.png');
        await page.click('#node-dialog-ok');
        await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
        const saved = await page.evaluate((id) => {
          const n = RED.nodes.node(id);
          return [n.account, n.username, n.usernameType, n.subject, n.subjectType, n.toRecipients];
        }, ctx.mailOutId);
        const want = [ctx.configId, ctx.mailbox, 'str', 'topic', 'msg', 'colleague@contoso.example'];
        check(JSON.stringify(saved) === JSON.stringify(want), `saved ${JSON.stringify(saved)}`);
      },
      reset,
    ],
    [
      'mail action: dragged from the palette, every field and default; its fields follow the operation',
      async () => {
        ctx.mailActionId = await editor.dragFromPalette(page, 'o365-mail-action', 'mail action', 420, 320);
        await editor.openNodeDialog(page, ctx.mailActionId);
        await checkFreshDialog(page, 'node-input', MAIL_ACTION_FIELDS, 'mailAction');
        // A TypedInput hides its own input and shows a widget in the same row: the row is what shows or hides.
        const target = '.form-row:has(#node-input-target)';
        const mode = '#node-input-categoryMode';
        const read = ['#node-input-output', '#node-input-bodyFormat', '#node-input-attachments'];
        const readShown = (shown) => Object.fromEntries(read.map((id) => [id, shown]));
        const operation = (value) => () => page.selectOption('#node-input-operation', value);
        // Every operation: which of target, category mode and the read options it shows.
        const shows = {
          markRead: [false, false, false],
          markUnread: [false, false, false],
          move: [true, false, false],
          copy: [true, false, false],
          delete: [false, false, false],
          flag: [false, false, false],
          unflag: [false, false, false],
          complete: [false, false, false],
          categorize: [true, true, false],
          get: [false, false, true],
          getMime: [false, false, false],
        };
        await expectVisibility(page, [
          ...Object.entries(shows).map(([op, [t, m, r]]) => ({
            situation: `operation ${op}`,
            change: operation(op),
            expected: { [target]: t, [mode]: m, ...readShown(r) },
          })),
          {
            situation: 'operation get again',
            change: operation('get'),
            expected: { [target]: false, [mode]: false, ...readShown(true) },
          },
          {
            situation: 'operation get, output mime',
            change: () => page.selectOption('#node-input-output', 'mime'),
            expected: {
              '#node-input-output': true,
              '#node-input-bodyFormat': false,
              '#node-input-attachments': false,
            },
          },
        ]);
        await page.selectOption('#node-input-output', 'message');
        if ((await page.inputValue('#node-input-account')) !== ctx.configId) {
          await page.selectOption('#node-input-account', ctx.configId);
        }
        await page.selectOption('#node-input-operation', 'move');
        await editor.typedInputBox(page, 'target').fill('Inbox/Processed');
        await page.dispatchEvent('#node-input-target', 'change');
        await screenshot(page, ctx, 'o365-mail-action.png');
        await page.click('#node-dialog-ok');
        await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
        const saved = await page.evaluate((id) => {
          const n = RED.nodes.node(id);
          return [n.account, n.operation, n.target, n.targetType, n.version, n.valid];
        }, ctx.mailActionId);
        const want = [ctx.configId, 'move', 'Inbox/Processed', 'str', 1, true];
        check(JSON.stringify(saved) === JSON.stringify(want), `saved ${JSON.stringify(saved)}`);
      },
      { ...reset, requires: ['configId'] },
    ],
    ['deploy succeeds with no error notification', () => editor.deploy(page)],
    [
      'the secret is in neither GET /flows nor the flow file; flows_cred.json is encrypted',
      async () => {
        const flows = await (await fetch(`${ctx.url}flows`)).text();
        check(
          flows.includes(ctx.mailInId) && flows.includes(ctx.configId),
          'GET /flows lacks the deployed nodes',
        );
        if (ctx.mailActionId) {
          const parsed = JSON.parse(flows);
          const list = Array.isArray(parsed) ? parsed : parsed.flows;
          const deployed = list.find((n) => n.id === ctx.mailActionId);
          check(
            deployed?.type === 'o365-mail-action' && deployed.operation === 'move',
            `GET /flows lacks the mail action as saved: ${JSON.stringify(deployed)}`,
          );
        }
        check(!flows.includes(ctx.clientSecret), 'GET /flows contains the client secret');
        const flowFile = fs.readFileSync(path.join(ctx.userDir, 'flows.json'), 'utf8');
        check(flowFile.includes(ctx.configId), 'flows.json lacks the config node');
        check(!flowFile.includes(ctx.clientSecret), 'flows.json contains the client secret');
        const credFile = fs.readFileSync(path.join(ctx.userDir, 'flows_cred.json'), 'utf8');
        check(!credFile.includes(ctx.clientSecret), 'flows_cred.json holds the secret in clear text');
        check(typeof JSON.parse(credFile).$ === 'string', 'flows_cred.json is not encrypted');
      },
      { requires: ['configId', 'mailInId'] },
    ],
    [
      'the deployed mail in polls the simulator and marks the seeded mail read',
      async () => {
        await waitUntil(() => ctx.sim.getMessage(ctx.mailbox, ctx.seededId)?.isRead === true, {
          timeoutMs: 30000,
          what: 'the seeded mail being marked read',
        });
      },
      { requires: ['configId', 'mailInId'] },
    ],
    [
      'Node-RED lists every example of the installed package, identical to examples/',
      async () => {
        const base = `${ctx.url}library/examples/flows/${PACKAGE}`;
        const listed = await (await fetch(base)).json();
        const names = listed.filter((entry) => typeof entry === 'string' || entry.fn).map((e) => e.fn || e);
        const local = fs.readdirSync(ctx.examplesDir).filter((f) => f.endsWith('.json'));
        check(local.length >= 5, `only ${local.length} examples in examples/`);
        ctx.examples = [];
        for (const file of local) {
          const name = file.replace(/\.json$/, '');
          check(
            names.includes(name) || names.includes(file),
            `Node-RED does not list "${name}" (lists ${names})`,
          );
          const served = await (await fetch(`${base}/${encodeURIComponent(name)}`)).json();
          const mine = JSON.parse(fs.readFileSync(path.join(ctx.examplesDir, file), 'utf8'));
          check(
            JSON.stringify(served) === JSON.stringify(mine),
            `"${name}" served differs from examples/${file}`,
          );
          ctx.examples.push({ name, flow: mine });
        }
      },
    ],
    [
      'every example imports; all of them share one config node',
      async () => {
        check(ctx.examples, 'no examples read');
        const configIds = new Set(
          ctx.examples.flatMap((e) => e.flow.filter((n) => n.type === 'o365-config')).map((n) => n.id),
        );
        check(configIds.size === 1, `the examples use ${configIds.size} different config node ids`);
        ctx.exampleConfigId = [...configIds][0];
        const countBefore = await page.evaluate(() => RED.nodes.filterNodes({}).length);
        for (const { flow } of ctx.examples) await editor.importFlow(page, flow);
        const countAfter = await page.evaluate(() => RED.nodes.filterNodes({}).length);
        const flowNodes = ctx.examples
          .flatMap((e) => e.flow)
          .filter((n) => n.type !== 'tab' && n.type !== 'o365-config');
        check(
          countAfter - countBefore === flowNodes.length,
          `imported ${countAfter - countBefore} of ${flowNodes.length} nodes`,
        );
        const configs = await editor.configNodeIds(page, 'o365-config');
        check(
          configs.length === 2,
          `${configs.length} o365-config nodes after importing, expected 2 (ours + the examples')`,
        );
        check(configs.includes(ctx.exampleConfigId), 'the examples config node was not kept with its id');
        // An answer's empty mailbox (msg.o365.mailbox) and a node without mode (a new mail) are valid.
        const invalid = await page.evaluate(
          (ids) =>
            ids
              .map((id) => RED.nodes.node(id))
              .filter((n) => n && n.valid === false)
              .map((n) => `${n.type} ${n.name || n.id}`),
          flowNodes.map((n) => n.id),
        );
        check(invalid.length === 0, `imported example nodes marked invalid: ${invalid.join(', ')}`);
        ctx.examplesImported = true;
      },
      { requires: ['examples'] },
    ],
    [
      'the examples deploy with no error notification',
      () => editor.deploy(page),
      { requires: ['examplesImported'] },
    ],
    [
      'example 02 sends mail through the simulator once its config points there',
      async () => {
        // As a user would: open the example's mail out, then edit its account with the pencil button.
        const mailOutId = await page.evaluate(() => {
          let tab;
          RED.nodes.eachWorkspace((w) => {
            if (w.label === 'Send mail from an HTTP endpoint') tab = w;
          });
          const node = tab && RED.nodes.filterNodes({ type: 'o365-mail-out', z: tab.id })[0];
          if (node) RED.workspaces.show(tab.id);
          return node && node.id;
        });
        check(mailOutId, 'no mail out node on the tab "Send mail from an HTTP endpoint"');
        await editor.openNodeDialog(page, mailOutId);
        await page.locator('#node-input-btn-account-edit, #node-input-lookup-account').first().click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        await page.selectOption('#node-config-input-cloud', 'custom');
        await page.fill('#node-config-input-authorityHost', ctx.sim.url);
        await page.fill('#node-config-input-graphEndpoint', ctx.sim.url);
        await page.fill('#node-config-input-clientSecret', ctx.clientSecret);
        await page.click('#node-config-dialog-ok');
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
        await page.click('#node-dialog-ok');
        await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
        await editor.deploy(page);
        const subject = `e2e example 02 ${Date.now()}`;
        const response = await fetch(`${ctx.url}send-mail`, {
          signal: AbortSignal.timeout(20000),
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            to: 'colleague@contoso.example',
            subject,
            text: 'Sent by the browser test',
          }),
        });
        const answer = await response.text();
        check(response.status === 202, `POST /send-mail answered ${response.status} ${answer}`);
        const sent = ctx.sim.sent.find((record) => record.message && record.message.subject === subject);
        check(sent, 'the simulator received no mail with that subject');
        check(
          sent.mailbox === ctx.examplesMailbox,
          `sent from ${sent.mailbox}, expected ${ctx.examplesMailbox}`,
        );
      },
      { ...reset, requires: ['examplesImported'] },
    ],
    [
      'a node saved by release 0.1.0 shows its settings brought up to date and saves them; a newer one is refused',
      async () => {
        const old = 'e2e0000000000001';
        const newer = 'e2e0000000000099';
        const tab = 'e2e00000000000ab';
        const common = { z: tab, account: ctx.exampleConfigId, username: ctx.mailbox, x: 200, wires: [[]] };
        await editor.importFlow(page, [
          { id: tab, type: 'tab', label: 'Saved by release 0.1.0' },
          // Saved before the field types existed, with "false" as text: release 0.1.0 read both as literal.
          {
            id: old,
            type: 'o365-mail-out',
            toRecipients: 'b@contoso.example',
            save: 'false',
            y: 500,
            ...common,
          },
          { id: newer, type: 'o365-mail-in', version: 99, y: 160, ...common },
        ]);
        await page.evaluate((id) => RED.workspaces.show(id), tab);
        try {
          const refused = await page.evaluate((id) => {
            const node = RED.nodes.node(id);
            return {
              valid: node.valid,
              problem: node._def.defaults.version.validate.call(node, node.version),
            };
          }, newer);
          check(refused.valid === false, 'a node of version 99 is not marked invalid');
          check(/newer release/.test(refused.problem), `version 99 is refused with "${refused.problem}"`);
          await editor.openNodeDialog(page, old);
          const shown = await page.evaluate(() => [
            $('#node-input-toRecipients').typedInput('type'),
            $('#node-input-save').prop('checked'),
          ]);
          check(
            JSON.stringify(shown) === '["str",false]',
            `the old node's dialog shows ${JSON.stringify(shown)}`,
          );
          await page.click('#node-dialog-ok');
          await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
          const saved = await page.evaluate((id) => {
            const node = RED.nodes.node(id);
            return [node.version, node.toRecipientsType, node.save];
          }, old);
          check(JSON.stringify(saved) === '[1,"str",false]', `saved as ${JSON.stringify(saved)}`);
        } finally {
          await page.evaluate(
            (ids) => {
              for (const id of ids) RED.nodes.remove(id);
              RED.view.redraw(true);
            },
            [old, newer],
          );
        }
      },
      { ...reset, requires: ['examplesImported'] },
    ],
    ...delegatedSteps(ctx),
  ];
}

module.exports = { browserSteps };
