// What the browser test needs outside the browser: the packed package installed into a fresh
// Node-RED user directory (as the palette manager does), the Graph simulator, and Node-RED itself.
'use strict';
/* global fetch */
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { waitUntil } = require('./harness');

const root = path.resolve(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Fixed so the flow credentials file is readable across restarts; never a real secret. */
const CREDENTIAL_SECRET = 'e2e-credential-secret-not-a-real-one';

function runQuietly(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 180000, ...options });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** Packs the project (already built by `npm run build`) into dir; returns the tarball path. */
function packProject(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const unbuilt = Object.values(pkg['node-red'].nodes).filter(
    (file) => !fs.existsSync(path.join(root, file)),
  );
  if (unbuilt.length) throw new Error(`not built (${unbuilt.join(', ')} missing): run "npm run build" first`);
  const output = runQuietly(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: root,
  });
  // Anything a lifecycle script printed comes before npm's JSON answer.
  const [info] = JSON.parse(output.slice(output.search(/^\[/m)));
  return path.join(dir, info.filename);
}

/** Creates a Node-RED user directory and installs the tarball there the way the palette manager does. */
function installIntoUserDir(userDir, tarball) {
  fs.mkdirSync(userDir, { recursive: true });
  const project = { name: 'node-red-project', description: 'e2e', version: '0.0.1', private: true };
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify(project, null, 2));
  runQuietly(
    npm,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--omit=dev',
      '--engine-strict',
      '--save',
      '--save-prefix=~',
      '--prefer-offline',
      tarball,
    ],
    { cwd: userDir },
  );
}

/** Writes the settings file Node-RED runs with; returns its path. */
function writeSettings(userDir, logFile) {
  const settings = `// Written by test/e2e/setup.js for one run of the browser test.
const fs = require('fs');
module.exports = {
  flowFile: 'flows.json',
  credentialSecret: ${JSON.stringify(CREDENTIAL_SECRET)},
  // No catalogue: the palette manager would fetch catalogue.nodered.org, unreachable offline.
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  telemetry: { enabled: false, updateNotification: false },
  logging: {
    console: { level: 'off' },
    file: {
      level: 'info',
      metrics: false,
      audit: false,
      handler: () => (msg) => {
        const level = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace' }[msg.level];
        const line = new Date(msg.timestamp).toISOString() + ' [' + (level || msg.level) + '] ' +
          (msg.type ? '[' + msg.type + ':' + (msg.name || msg.id) + '] ' : '') + msg.msg + '\\n';
        fs.appendFileSync(${JSON.stringify(logFile)}, line);
      },
    },
  },
};
`;
  const file = path.join(userDir, 'settings.js');
  fs.writeFileSync(file, settings);
  return file;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the Graph simulator in this process (TypeScript, through tsx). */
async function startGraphSimulator(mailbox) {
  require('tsx/cjs');
  const simulator = require('../simulator');
  const sim = await simulator.startSimulator({ mailboxes: [mailbox] });
  const app = sim.app || simulator.DEFAULT_APP;
  return { sim, clientId: app.clientId, clientSecret: app.secrets[0].value };
}

/** Starts Node-RED (NODE_RED_BIN / NODE_BIN override the devDependency and this node) and waits for it. */
async function startNodeRed({ userDir, settingsFile, port, env, logFile }) {
  const redJs = process.env.NODE_RED_BIN || require.resolve('node-red/red.js', { paths: [root] });
  const nodeBin = process.env.NODE_BIN || process.execPath;
  const out = fs.openSync(logFile, 'a');
  const child = spawn(nodeBin, [redJs, '-u', userDir, '-p', String(port), '-s', settingsFile], {
    cwd: userDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = signal || `code ${code}`;
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitUntil(
    async () => {
      if (exited) throw new Error(`Node-RED exited (${exited})`);
      const response = await fetch(`${url}settings`);
      return response.ok;
    },
    { timeoutMs: 60000, intervalMs: 300, what: `Node-RED answering on ${url}` },
  );
  return { child, url, redJs, nodeBin, isRunning: () => !exited };
}

/** Stops a child process: SIGTERM, then SIGKILL when it does not exit within 5 s. */
async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** The last lines of a log file, for failure reports. */
function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function makeTempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'o365-e2e-'));
}

module.exports = {
  root,
  CREDENTIAL_SECRET,
  packProject,
  installIntoUserDir,
  writeSettings,
  freePort,
  startGraphSimulator,
  startNodeRed,
  stopProcess,
  tail,
  makeTempDir,
};
