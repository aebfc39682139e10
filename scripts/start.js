#!/usr/bin/env node
/**
 * npm start: Node-RED on http://127.0.0.1:1880 with these nodes loaded from the working tree and the demo flow
 * (examples/01) deployed. Without credentials it runs against the local Graph simulator, whose demo mailbox receives
 * a new mail now and then; with O365_TENANT_ID, O365_CLIENT_ID, O365_CLIENT_SECRET and O365_MAILBOX set it runs the
 * same flow against real Microsoft 365 (O365_CLOUD picks the cloud, default global).
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const http = require('http');
const readline = require('readline');

const root = path.resolve(__dirname, '..');
const port = Number(process.env.PORT || 1880);
const simPort = Number(process.env.O365_SIM_PORT || 18443);
const live = ['O365_TENANT_ID', 'O365_CLIENT_ID', 'O365_CLIENT_SECRET', 'O365_MAILBOX'].every(
  (v) => process.env[v],
);
const children = [];

function fail(message) {
  console.error(`npm start: ${message}`);
  shutdown(1);
}

function shutdown(code) {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

function ensureBuilt() {
  if (fs.existsSync(path.join(root, 'nodes', 'o365-mail-in.js'))) return;
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
  if (result.status !== 0) fail('the build failed');
}

/** Starts the simulator in demo mode and resolves with the JSON line it prints. */
function startSimulator(userDir) {
  const caFile = path.join(userDir, 'simulator-ca.pem');
  const tsx = require.resolve('tsx/cli', { paths: [root] });
  const child = spawn(
    process.execPath,
    [
      tsx,
      path.join(root, 'test', 'simulator', 'standalone.ts'),
      '--demo',
      '--port',
      String(simPort),
      '--ca-file',
      caFile,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulator did not start within 60 s')), 60_000);
    child.on('exit', (code) => reject(new Error(`the simulator exited (${code})`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`unexpected simulator output: ${line}`));
      }
    });
  });
}

function writeSettings(userDir) {
  const settings = `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  // A fixed key for this local demo folder only; production installs set their own credentialSecret.
  credentialSecret: 'o365-mail-local-demo',
  editorTheme: { tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;
  fs.writeFileSync(path.join(userDir, 'settings.js'), settings);
  // Install this working tree into the userDir the way "npm install <folder>" does: a link.
  const scope = path.join(userDir, 'node_modules', '@mailgraph');
  fs.mkdirSync(scope, { recursive: true });
  const link = path.join(scope, 'node-red-o365-mail');
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
}

/** The demo flow with its account pointed at the simulator or at Microsoft 365. */
function demoFlow(target) {
  const flow = JSON.parse(
    fs.readFileSync(path.join(root, 'examples', '01 - Receive mail to debug.json'), 'utf8'),
  );
  for (const node of flow) {
    if (node.type === 'o365-config') {
      Object.assign(node, target.account);
      node.credentials = { clientSecret: target.secret };
    }
    if (node.type === 'o365-mail-in' && target.simulator) node.interval = 10;
  }
  return flow;
}

function request(method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method,
        timeout: 10_000,
        headers: data
          ? {
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(data),
              'Node-RED-Deployment-Type': 'full',
            }
          : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}

async function waitForNodeRed() {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const res = await request('GET', '/flows');
      if (res.status === 200) return JSON.parse(res.text);
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('Node-RED did not start within 90 s');
}

async function main() {
  ensureBuilt();
  const userDir = path.join(root, '.userdir', live ? 'microsoft365' : 'simulator');
  fs.mkdirSync(userDir, { recursive: true });
  writeSettings(userDir);

  let target;
  const env = { ...process.env };
  if (live) {
    const cloud = process.env.O365_CLOUD || 'global';
    target = {
      simulator: false,
      secret: process.env.O365_CLIENT_SECRET,
      account: { cloud, tenantId: '${O365_TENANT_ID}', applicationId: '${O365_CLIENT_ID}' },
      description: `Microsoft 365 (tenant ${process.env.O365_TENANT_ID}, mailbox ${process.env.O365_MAILBOX}, cloud ${cloud})`,
    };
  } else {
    const sim = await startSimulator(userDir);
    env.NODE_EXTRA_CA_CERTS = sim.caFile;
    env.O365_TENANT_ID = sim.tenantId;
    env.O365_CLIENT_ID = sim.clientId;
    env.O365_MAILBOX = sim.mailbox;
    target = {
      simulator: true,
      secret: sim.clientSecret,
      account: {
        cloud: 'custom',
        authorityHost: sim.url,
        graphEndpoint: sim.url,
        tenantId: '${O365_TENANT_ID}',
        applicationId: '${O365_CLIENT_ID}',
      },
      description: `the local Graph simulator at ${sim.url} (demo mailbox ${sim.mailbox}; no Azure tenant needed)`,
    };
  }

  const nodeRed = spawn(
    process.execPath,
    [
      require.resolve('node-red/red.js', { paths: [root] }),
      '-u',
      userDir,
      '-s',
      path.join(userDir, 'settings.js'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env },
  );
  children.push(nodeRed);
  nodeRed.on('exit', (code) => shutdown(code ?? 0));

  const deployed = await waitForNodeRed();
  const hasDemo = Array.isArray(deployed) && deployed.some((n) => n.type === 'o365-config');
  if (!hasDemo || process.env.O365_DEMO_RESET) {
    const res = await request('POST', '/flows', demoFlow(target));
    if (res.status !== 204 && res.status !== 200)
      fail(`deploying the demo flow failed: HTTP ${res.status} ${res.text}`);
  }
  console.log('');
  console.log(`Running against ${target.description}.`);
  console.log(`Open http://127.0.0.1:${port}/ — the demo flow shows new mail in the debug sidebar;`);
  console.log('click "send a test mail to myself" to send one. Stop with Ctrl+C.');
  console.log('');
}

main().catch((err) => fail(err.message));
