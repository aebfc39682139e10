/** TLS certificate for the simulator: generated once, cached in os.tmpdir(), regenerated when missing or near expiry. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate } from 'selfsigned';

export interface ServerCertificate {
  cert: string;
  key: string;
}

const CACHE_FILE = path.join(os.tmpdir(), 'o365-sim-cert-v1.json');
const MIN_REMAINING_MS = 7 * 24 * 3600 * 1000;

function usableCached(): ServerCertificate | undefined {
  try {
    const cached = JSON.parse(fs.readFileSync(CACHE_FILE, 'utf8')) as Partial<ServerCertificate>;
    if (typeof cached.cert !== 'string' || typeof cached.key !== 'string') return undefined;
    const x509 = new crypto.X509Certificate(cached.cert);
    if (Date.parse(x509.validTo) - Date.now() < MIN_REMAINING_MS) return undefined;
    if (!x509.checkPrivateKey(crypto.createPrivateKey(cached.key))) return undefined;
    if (!x509.checkIP('127.0.0.1') || !x509.checkHost('localhost')) return undefined;
    return { cert: cached.cert, key: cached.key };
  } catch {
    return undefined;
  }
}

/** Returns a certificate for 127.0.0.1 and localhost, from the cache when still valid. */
export async function serverCertificate(): Promise<ServerCertificate> {
  const cached = usableCached();
  if (cached) return cached;
  const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'o365 simulator (127.0.0.1)' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const result = { cert: pems.cert, key: pems.private };
  // Write through a temp file and rename so parallel test processes never read half a file.
  const tmp = `${CACHE_FILE}.${process.pid}.${Date.now()}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(result), { mode: 0o600 });
    fs.renameSync(tmp, CACHE_FILE);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
  return result;
}
