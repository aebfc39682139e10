// The browser test's steps for an account a user signs in to (authType delegated): the dialog shows the permissions
// and the exact redirect URI, "Sign in with a code" shows the code and the verification URL (and a Conditional Access
// block, explained), "Sign in with Microsoft" opens the simulator's sign-in page, signing in and consenting
// shows who is signed in (and Test connection the grant against the needs), and a deployed mail in node (mailbox me)
// delivers that user's mail.
'use strict';
/* global RED, fetch, URL, $ */
const fs = require('fs');
const path = require('path');
const { check, waitUntil } = require('./harness');
const editor = require('./editor');

const CALLBACK = 'o365-config/delegated/callback';

/** The steps, as [name, fn, options] like browserSteps. */
function delegatedSteps(ctx) {
  const { page } = ctx;
  const reset = { onFailure: () => editor.closeDialogs(page) };
  return [
    [
      'delegated: a mail in with a new "Signed-in user" account shows the permissions, the exact redirect URI and the sign-in buttons',
      async () => {
        ctx.delegatedTab = await page.evaluate(() => {
          const tab = { id: RED.nodes.id(), type: 'tab', label: 'Signed-in user' };
          RED.nodes.import([tab]);
          RED.workspaces.show(tab.id);
          return tab.id;
        });
        ctx.sim.addRedirectUri(ctx.clientId, `${ctx.url}${CALLBACK}`);
        // A user of its own: the app-only mail in of the earlier steps polls ctx.mailbox and would take its mail.
        ctx.delegatedUser = 'signed-in.user@contoso.example';
        ctx.sim.addMailbox(ctx.delegatedUser);
        ctx.delegatedInId = await editor.dragFromPalette(page, 'o365-mail-in', 'mail in', 200, 120);
        await editor.openNodeDialog(page, ctx.delegatedInId);
        await page.selectOption('#node-input-account', '_ADD_');
        await page.locator('#node-input-btn-account-add, #node-input-lookup-account').first().click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        await page.fill('#node-config-input-name', 'Signed-in user (simulator)');
        await page.selectOption('#node-config-input-cloud', 'custom');
        await page.fill('#node-config-input-authorityHost', ctx.sim.url);
        await page.fill('#node-config-input-graphEndpoint', ctx.sim.url);
        await page.fill('#node-config-input-tenantId', ctx.sim.tenantId);
        await page.fill('#node-config-input-applicationId', ctx.clientId);
        await page.selectOption('#node-config-input-authType', 'delegated');
        ctx.delegatedDialogOpen = true;
        const list = page.locator('#o365-config-delegated-permissions li');
        const permissions = await waitUntil(
          async () => {
            const shown = await list.evaluateAll((items) => items.map((li) => li.dataset.permission));
            return shown.length >= 3 ? shown : null;
          },
          { timeoutMs: 10000, what: 'the permissions the nodes need' },
        );
        for (const permission of ['offline_access', 'Mail.ReadWrite']) {
          check(permissions.includes(permission), `permissions shown: ${permissions.join(', ')}`);
        }
        const uri = (await page.locator('#o365-config-redirect-uri').innerText()).trim();
        check(uri === `${ctx.url}${CALLBACK}`, `the dialog shows the redirect URI "${uri}"`);
        for (const button of [
          '#o365-config-signin-browser',
          '#o365-config-signin-device',
          '#o365-config-signout',
        ]) {
          check(await editor.isShown(page, button), `${button} is not shown`);
        }
        check(!(await editor.isShown(page, '#node-config-input-privateKey')), 'the private key shows');
        const status = (await page.locator('#o365-config-delegated-status').innerText()).trim();
        check(/Not signed in/.test(status), `before signing in the dialog says "${status}"`);
      },
      { ...reset, requires: ['examplesImported'] },
    ],
    [
      'delegated: "Sign in with a code" shows the code and the page to enter it; Conditional Access blocking it is explained',
      async () => {
        ctx.sim.setPublicClientFlows(ctx.clientId, true);
        ctx.sim.blockDeviceCodeFlow(true);
        const device = await ctx.browser.newPage({ ignoreHTTPSErrors: true });
        try {
          await page.click('#o365-config-signin-device');
          const code = page.locator('#o365-config-user-code');
          await code.waitFor({ state: 'visible', timeout: 15000 });
          const userCode = (await code.innerText()).trim();
          check(/^[A-Z0-9]{6,}$/.test(userCode), `the dialog shows the code "${userCode}"`);
          const link = await page.locator('#o365-config-delegated-status a').getAttribute('href');
          check(link === `${ctx.sim.url}/devicelogin`, `the dialog links to ${link}`);
          const shown = await page.locator('#o365-config-delegated-status').innerText();
          check(
            /Conditional Access/.test(shown),
            `the dialog does not warn of Conditional Access: "${shown}"`,
          );
          // The user enters the code on another device and signs in; the tenant's policy blocks the device code flow.
          await device.goto(link);
          await device.fill('#otc', userCode);
          await device.click('#next');
          await device.locator('#login').waitFor({ state: 'visible', timeout: 10000 });
          await device.fill('#login', ctx.delegatedUser);
          await device.click('#submit');
          if (
            await device
              .locator('#accept')
              .isVisible()
              .catch(() => false)
          )
            await device.click('#accept');
          await device.locator('#error-code').waitFor({ state: 'visible', timeout: 10000 });
          check((await device.locator('#error-code').innerText()).trim() === 'AADSTS53003', 'not blocked');
          const failed = await waitUntil(
            async () => {
              const text = (await page.locator('#o365-config-delegated-status').innerText()).trim();
              return /did not complete|failed/i.test(text) ? text : null;
            },
            { timeoutMs: 30000, what: 'the dialog saying the code sign-in failed' },
          );
          check(
            /Conditional Access blocks/.test(failed) && /Sign in with Microsoft/.test(failed),
            `the dialog says "${failed}"`,
          );
        } finally {
          ctx.sim.blockDeviceCodeFlow(false);
          await device.close();
        }
      },
      { ...reset, requires: ['delegatedDialogOpen'] },
    ],
    [
      'delegated: "Sign in with Microsoft" opens the sign-in page; signing in and consenting shows who is signed in',
      async () => {
        const [popup] = await Promise.all([
          page.context().waitForEvent('page', { timeout: 15000 }),
          page.click('#o365-config-signin-browser'),
        ]);
        await popup.locator('#login').waitFor({ state: 'visible', timeout: 15000 });
        await popup.fill('#login', ctx.delegatedUser);
        await popup.click('#submit');
        await popup.locator('#accept').waitFor({ state: 'visible', timeout: 10000 });
        const asked = await popup.locator('#scopes li').allInnerTexts();
        check(asked.includes('Mail.ReadWrite'), `the consent page asks for ${asked.join(', ')}`);
        await popup.click('#accept');
        await popup.locator('#signed-in').waitFor({ state: 'visible', timeout: 15000 });
        const landed = new URL(popup.url());
        check(landed.href.startsWith(`${ctx.url}${CALLBACK}`), `the browser landed on ${landed.href}`);
        check(/Signed in as/.test(await popup.locator('#signed-in').innerText()), 'the page does not say so');
        await popup.close();
        const signedIn = page.locator('#o365-config-signed-in');
        await signedIn.waitFor({ state: 'visible', timeout: 15000 });
        const text = await signedIn.innerText();
        check(text.includes(ctx.delegatedUser), `the dialog says "${text}"`);
        await page.evaluate(() => $('.red-ui-editor .red-ui-tray-body').scrollTop(0));
        await page.screenshot({ path: path.join(ctx.imagesDir, 'o365-config-delegated.png') });
        // Test connection: who is signed in, the permissions granted against those the nodes need, the mailbox.
        await page.click('#o365-config-test-button');
        const result = page.locator('#o365-config-test-result');
        const report = await waitUntil(
          async () => {
            const shown = (await result.innerText()).trim();
            return /Permissions granted/.test(shown) && /me/.test(shown) ? shown : null;
          },
          { timeoutMs: 30000, what: 'the test result of the signed-in user' },
        ).catch(async (err) => {
          throw new Error(`${err.message}; it shows: "${(await result.innerText()).trim()}"`);
        });
        check(report.includes(`Signed in as ${ctx.delegatedUser}`), `Test connection says "${report}"`);
        check(/Mail\.ReadWrite/.test(report), `Test connection lists no Mail.ReadWrite: "${report}"`);
        check(!/is not granted/.test(report), `a permission the nodes need is missing: "${report}"`);
        ctx.delegatedSignedIn = true;
      },
      { ...reset, requires: ['delegatedDialogOpen'] },
    ],
    [
      "delegated: mail in defaults to the mailbox me; deployed, it delivers the signed-in user's mail",
      async () => {
        await page.click('#node-config-dialog-ok');
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
        const configs = await editor.configNodeIds(page, 'o365-config');
        ctx.delegatedConfigId = await page.evaluate(
          (ids) => ids.find((id) => RED.nodes.node(id).authType === 'delegated'),
          configs,
        );
        check(ctx.delegatedConfigId, 'no delegated o365-config node after Add');
        const mailbox = await page.inputValue('#node-input-username');
        check(mailbox === 'me', `the mailbox of a delegated account defaults to "${mailbox}", not me`);
        // A folder of its own, in the signed-in user's own mailbox: nothing else polls it.
        ctx.sim.addFolder(ctx.delegatedUser, 'inbox', 'Delegated');
        await page.fill('#node-input-folder', 'Inbox/Delegated');
        await page.selectOption('#node-input-pollType', 'interval');
        await page.fill('#node-input-interval', '60');
        await page.click('#node-dialog-ok');
        await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
        const seeded = ctx.sim.addMessage(ctx.delegatedUser, 'Inbox/Delegated', {
          subject: 'For the signed-in user',
          from: 'sender@fabrikam.example',
          to: [ctx.delegatedUser],
          body: 'Polled through /me by a mail in node of a delegated account.',
        });
        ctx.sim.resetCounters();
        await editor.deploy(page);
        await waitUntil(() => ctx.sim.getMessage(ctx.delegatedUser, seeded)?.isRead === true, {
          timeoutMs: 30000,
          what: "the signed-in user's mail being delivered and marked read",
        });
        const viaMe = ctx.sim.requests.filter((r) => r.rawPath.startsWith('/v1.0/me/'));
        check(viaMe.length > 0, 'the node did not use /me');
        // The sign-in lives encrypted in the store, not in the flow or its credentials.
        const issued = ctx.sim.issuedSecrets().refreshTokens;
        const files = [
          await (await fetch(`${ctx.url}flows`)).text(),
          fs.readFileSync(path.join(ctx.userDir, 'flows.json'), 'utf8'),
          fs.readFileSync(path.join(ctx.userDir, 'flows_cred.json'), 'utf8'),
          fs.readFileSync(
            path.join(ctx.userDir, '.o365-mail', 'sign-ins', `${ctx.delegatedConfigId}.json`),
            'utf8',
          ),
          fs.readFileSync(ctx.logFile, 'utf8'),
        ];
        for (const text of files) {
          check(
            !issued.some((token) => text.includes(token)),
            'a refresh token is readable in a file or answer',
          );
        }
      },
      { ...reset, requires: ['delegatedSignedIn'] },
    ],
  ];
}

module.exports = { delegatedSteps };
