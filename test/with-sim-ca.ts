/**
 * Runs a command with NODE_EXTRA_CA_CERTS naming the simulator's CA, so in-process tests (and msal inside Node-RED)
 * trust the local HTTPS simulator exactly as a real deployment trusts a corporate CA: Node reads that variable only
 * at start, hence this wrapper. Usage: tsx test/with-sim-ca.ts <command> [args...]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serverCertificate } from './simulator/certs';

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) throw new Error('usage: tsx test/with-sim-ca.ts <command> [args...]');
  const { cert } = await serverCertificate();
  const existing = process.env.NODE_EXTRA_CA_CERTS;
  const extra = existing && fs.existsSync(existing) ? `\n${fs.readFileSync(existing, 'utf8')}` : '';
  const caFile = path.join(os.tmpdir(), `o365-sim-ca-${process.pid}.pem`);
  fs.writeFileSync(caFile, cert + extra);
  const local = path.resolve(__dirname, '..', 'node_modules', '.bin', command);
  const child = spawn(fs.existsSync(local) ? local : command, args, {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, O365_SIM_CA_FILE: caFile },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => {
    fs.rmSync(caFile, { force: true });
    process.exit(code ?? (signal ? 1 : 0));
  });
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
