/**
 * Starts a real Node-RED (the devDependency, or NODE_RED_PATH's) as a child process with this package installed into a
 * fresh userDir as a link, the way "npm install <folder>" installs it. For tests that need the real admin API.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface NodeRedProcess {
  url: string;
  userDir: string;
  /** Everything Node-RED printed so far. */
  output(): string;
  /** Stops Node-RED and removes its userDir, unless kept for a restart (`startNodeRed({ userDir })`). */
  stop(options?: { keepUserDir?: boolean }): Promise<void>;
}

const root = path.resolve(__dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Node-RED with the given extra settings (JS source of properties) and environment; in `userDir` (a kept one,
 * for a restart: its flows, credentials and sign-ins stay) or a fresh one.
 */
export async function startNodeRed(
  options: { settings?: string; env?: Record<string, string>; userDir?: string } = {},
): Promise<NodeRedProcess> {
  const userDir = options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'o365-nr-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: 'test-credential-secret',
  editorTheme: { tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  ${options.settings ?? ''}
};
`,
  );
  const scope = path.join(userDir, 'node_modules', '@mailgraph');
  fs.mkdirSync(scope, { recursive: true });
  if (!fs.existsSync(path.join(scope, 'node-red-o365-mail'))) {
    fs.symlinkSync(root, path.join(scope, 'node-red-o365-mail'), 'dir');
  }
  const redJs = process.env.NODE_RED_PATH
    ? path.join(path.resolve(process.env.NODE_RED_PATH), 'red.js')
    : require.resolve('node-red/red.js');
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [redJs, '-u', userDir, '-s', path.join(userDir, 'settings.js')],
    {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (stopOptions: { keepUserDir?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!stopOptions.keepUserDir) fs.rmSync(userDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited: ${output}`);
    try {
      const res = await fetch(`${url}/settings`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not start within 60 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, userDir, output: () => output, stop };
}
