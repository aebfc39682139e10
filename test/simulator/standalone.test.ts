import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import axios from 'axios';

interface Info {
  url: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caFile: string;
  mailbox: string;
}

describe('simulator: standalone process', function () {
  this.timeout(60000);

  it('prints one JSON line, serves the demo mailbox and exits on SIGTERM', async () => {
    const script = path.join(__dirname, 'standalone.ts');
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const child = spawn(tsx, [script, '--demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const at = out.indexOf('\n');
          if (at >= 0) resolve(out.slice(0, at));
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const info = JSON.parse(line) as Info;
      assert.deepEqual(Object.keys(info).sort(), [
        'caFile',
        'clientId',
        'clientSecret',
        'mailbox',
        'tenantId',
        'url',
      ]);
      assert.equal(info.mailbox, 'demo@contoso.example');
      const ca = fs.readFileSync(info.caFile, 'utf8');
      const http = axios.create({ httpsAgent: new https.Agent({ ca }), validateStatus: () => true });
      const token = await http.post(
        `${info.url}/${info.tenantId}/oauth2/v2.0/token`,
        new URLSearchParams({
          client_id: info.clientId,
          client_secret: info.clientSecret,
          scope: `${info.url}/.default`,
          grant_type: 'client_credentials',
        }),
      );
      assert.equal(token.status, 200);
      const list = await http.get(
        `${info.url}/v1.0/users/${encodeURIComponent(info.mailbox)}/mailFolders/inbox/messages`,
        {
          headers: { Authorization: `Bearer ${token.data.access_token}` },
        },
      );
      assert.equal(list.status, 200);
      assert.ok(list.data.value.length >= 3);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
