#!/usr/bin/env node
// Browser test (npm run test:e2e): installs the packed package into a fresh Node-RED, drives the
// editor in /usr/bin/chromium against the Graph simulator, and prints "N passed, N failed".
// Env: CI=true makes a missing chromium an error; NODE_RED_BIN (another node-red's red.js) and
// NODE_BIN (the node to run it with) test other Node-RED versions; E2E_KEEP=1 keeps the temp dir.
'use strict';
const fs = require('fs');
const path = require('path');
const setup = require('./setup');
const editor = require('./editor');
const { StepRunner, withTimeout } = require('./harness');
const { browserSteps } = require('./steps');

const CHROMIUM = '/usr/bin/chromium';
const WHOLE_RUN_MS = 5 * 60 * 1000;
const MAILBOX = 'user@contoso.example';
const EXAMPLES_MAILBOX = 'examples@contoso.example';

function chromiumOrExit() {
  if (fs.existsSync(CHROMIUM)) return;
  if (process.env.CI === 'true') {
    console.error(`e2e failed: ${CHROMIUM} is missing on CI (.ci/run installs it: apt-get install chromium)`);
    process.exit(1);
  }
  console.log('e2e skipped: chromium not installed (apt-get install chromium)');
  process.exit(0);
}

/** Starts everything the browser steps need; every started resource is recorded in ctx for cleanup. */
async function startServices(ctx, runner) {
  return runner.step(
    'the packed package installs into a fresh user directory and Node-RED starts with the simulator',
    async () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(setup.root, 'package.json'), 'utf8'));
      ctx.version = pkg.version;
      const tarball = setup.packProject(ctx.tempDir);
      setup.installIntoUserDir(ctx.userDir, tarball);
      const simulator = await setup.startGraphSimulator(MAILBOX);
      Object.assign(ctx, simulator);
      ctx.sim.addMailbox(EXAMPLES_MAILBOX);
      ctx.seededId = ctx.sim.addMessage(MAILBOX, 'inbox', {
        subject: 'Welcome to the browser test',
        from: 'sender@fabrikam.example',
        to: [MAILBOX],
        body: 'Polled by the mail in node dragged from the palette.',
      });
      const settingsFile = setup.writeSettings(ctx.userDir, ctx.logFile);
      const port = await setup.freePort();
      ctx.nodeRed = await setup.startNodeRed({
        userDir: ctx.userDir,
        settingsFile,
        port,
        logFile: ctx.logFile,
        env: {
          NODE_EXTRA_CA_CERTS: ctx.sim.caFile,
          NO_PROXY: '127.0.0.1,localhost',
          no_proxy: '127.0.0.1,localhost',
          O365_TENANT_ID: ctx.sim.tenantId,
          O365_CLIENT_ID: ctx.clientId,
          O365_MAILBOX: EXAMPLES_MAILBOX,
          ATTACHMENTS_FOLDER: path.join(ctx.tempDir, 'attachments'),
        },
      });
      ctx.url = ctx.nodeRed.url;
      console.log(`        Node-RED ${ctx.nodeRed.redJs} on ${ctx.url} (node ${ctx.nodeRed.nodeBin})`);
    },
    { timeoutMs: 150000 },
  );
}

async function runBrowser(ctx, runner) {
  const opened = await runner.step(
    'the editor opens in chromium',
    async () => {
      const { chromium } = require('playwright-core');
      Object.assign(ctx, await editor.openEditor(chromium, ctx.url));
    },
    { timeoutMs: 90000 },
  );
  if (!opened) return;
  for (const [name, fn, options = {}] of browserSteps(ctx)) {
    const missing = (options.requires || []).filter((key) => !ctx[key]);
    if (missing.length) runner.skip(name, `needs ${missing.join(', ')} from an earlier step`);
    else await runner.step(name, fn, options);
  }
  await runner.step('no page errors and no console errors in the editor', async () => {
    if (ctx.problems.length) throw new Error(ctx.problems.join('\n'));
  });
}

async function cleanUp(ctx) {
  await withTimeout(10000, 'closing chromium', () => (ctx.browser ? ctx.browser.close() : null)).catch(
    () => {},
  );
  await withTimeout(15000, 'stopping Node-RED', () =>
    setup.stopProcess(ctx.nodeRed && ctx.nodeRed.child),
  ).catch(() => {});
  await withTimeout(10000, 'stopping the simulator', () => (ctx.sim ? ctx.sim.stop() : null)).catch(() => {});
  if (process.env.E2E_KEEP === '1') console.log(`kept ${ctx.tempDir}`);
  else fs.rmSync(ctx.tempDir, { recursive: true, force: true });
}

async function main() {
  chromiumOrExit();
  const tempDir = setup.makeTempDir();
  const ctx = {
    tempDir,
    userDir: path.join(tempDir, 'userdir'),
    logFile: path.join(tempDir, 'node-red.log'),
    imagesDir: path.join(setup.root, 'docs', 'images'),
    examplesDir: path.join(setup.root, 'examples'),
    mailbox: MAILBOX,
    examplesMailbox: EXAMPLES_MAILBOX,
  };
  fs.mkdirSync(ctx.imagesDir, { recursive: true });
  const runner = new StepRunner();
  const watchdog = setTimeout(() => {
    console.error(`e2e: the whole run took over ${WHOLE_RUN_MS / 60000} minutes; stopping`);
    console.log(`${runner.passed} passed, ${runner.failed + 1} failed`);
    cleanUp(ctx).finally(() => process.exit(1));
  }, WHOLE_RUN_MS);
  watchdog.unref();
  // Never leave Node-RED behind, even when this process is interrupted or crashes.
  process.on('exit', () => {
    const child = ctx.nodeRed && ctx.nodeRed.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`e2e: ${signal}, cleaning up`);
      cleanUp(ctx).finally(() => process.exit(1));
    });
  }
  console.log('e2e: browser test');
  try {
    if (await startServices(ctx, runner)) await runBrowser(ctx, runner);
    if (runner.failed) console.log(`\nNode-RED log (last lines):\n${setup.tail(ctx.logFile)}\n`);
  } finally {
    await cleanUp(ctx);
    clearTimeout(watchdog);
  }
  console.log(`${runner.passed} passed, ${runner.failed} failed`);
  return runner.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`e2e: ${err && err.stack}`);
    process.exit(1);
  },
);
