/** The encrypted token store: nothing readable at rest, bound to the account id, the newest write wins. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { O365Error } from '../../../src/graph/errors';
import { localKey, TokenStore } from '../../../src/graph/token-store';

const REFRESH_TOKEN = '1.AXk-distinctive-refresh-token-value-0f9e8d7c6b5a';

describe('token store', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function rejection(promise: Promise<unknown>): Promise<O365Error> {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof O365Error, String(err));
      return err;
    }
    assert.fail('expected a rejection');
  }

  it('keeps a value encrypted at rest: no token, no JSON of it in the file, private file mode', async () => {
    const store = new TokenStore({ directory: dir, secrets: ['credential-secret'] });
    await store.write('abc123', { refreshToken: REFRESH_TOKEN, user: 'alice@contoso.example' });
    const file = path.join(dir, 'abc123.json');
    const raw = fs.readFileSync(file, 'utf8');
    assert.ok(!raw.includes(REFRESH_TOKEN));
    assert.ok(!raw.includes('alice'));
    assert.equal(JSON.parse(raw).format, 'o365-token-store/1');
    if (process.platform !== 'win32') {
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(dir).mode & 0o077, 0);
    }
    assert.deepEqual(await store.read('abc123'), {
      refreshToken: REFRESH_TOKEN,
      user: 'alice@contoso.example',
    });
  });

  it('answers undefined for an account without a value, and removes one', async () => {
    const store = new TokenStore({ directory: dir, secrets: ['s'] });
    assert.equal(await store.read('none'), undefined);
    await store.write('a', { x: 1 });
    await store.remove('a');
    await store.remove('a');
    assert.equal(await store.read('a'), undefined);
  });

  it('refuses a file copied to another account id and one written with another secret', async () => {
    const store = new TokenStore({ directory: dir, secrets: ['secret-one'] });
    await store.write('first', { v: 1 });
    fs.copyFileSync(path.join(dir, 'first.json'), path.join(dir, 'second.json'));
    assert.equal((await rejection(store.read('second'))).code, 'TokenStoreUnreadable');
    const other = new TokenStore({ directory: dir, secrets: ['secret-two'] });
    const err = await rejection(other.read('first'));
    assert.equal(err.code, 'TokenStoreUnreadable');
    assert.match(err.message, /credentialSecret/);
  });

  it('reads what an earlier secret wrote and writes with the first secret', async () => {
    await new TokenStore({ directory: dir, secrets: ['generated-secret'] }).write('a', { v: 1 });
    const store = new TokenStore({ directory: dir, secrets: ['settings-secret', 'generated-secret'] });
    assert.deepEqual(await store.read('a'), { v: 1 });
    await store.write('a', { v: 2 });
    assert.deepEqual(await new TokenStore({ directory: dir, secrets: ['settings-secret'] }).read('a'), {
      v: 2,
    });
  });

  it('keeps the last of many concurrent writes and applies updates in order', async () => {
    const store = new TokenStore({ directory: dir, secrets: ['s'] });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write('a', { v: i })));
    assert.deepEqual(await store.read('a'), { v: 19 });
    await Promise.all(
      Array.from({ length: 10 }, () => store.update<{ v: number }>('a', (c) => ({ v: (c?.v ?? 0) + 1 }))),
    );
    assert.deepEqual(await store.read('a'), { v: 29 });
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });

  it('refuses ids that could leave the directory', async () => {
    const store = new TokenStore({ directory: dir, secrets: ['s'] });
    for (const id of ['../x', '.key', 'a/b', '']) {
      assert.equal((await rejection(store.write(id, {}))).code, 'ConfigInvalid', id);
    }
  });

  it('creates one local key when no credentialSecret exists', () => {
    const [a, b] = [localKey(dir), localKey(dir)];
    assert.equal(a, b);
    assert.equal(Buffer.from(a, 'base64').length, 32);
    if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(dir, '.key')).mode & 0o777, 0o600);
  });
});
