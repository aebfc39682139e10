/** Each node's properties are read once, through one entry point, with one meaning of a boolean for the package. */
import { strict as assert } from 'node:assert';
import { ConfigError } from '../../../src/graph/errors';
import { currentVersion } from '../../../src/red/migrations';
import { readBoolean } from '../../../src/red/properties';
import {
  readConfigNodeSettings,
  readConfigSettings,
  readMailInSettings,
  readMailOutSettings,
} from '../../../src/red/settings';

const names = (property: string) => (err: unknown) => err instanceof ConfigError && err.property === property;

describe('settings', () => {
  describe('readBoolean, the one boolean coercion', () => {
    it('takes booleans and their text, and an empty or missing value as the default', () => {
      for (const fallback of [true, false]) {
        assert.equal(readBoolean('p', undefined, fallback), fallback);
        assert.equal(readBoolean('p', null, fallback), fallback);
        assert.equal(readBoolean('p', '', fallback), fallback);
        assert.equal(readBoolean('p', true, fallback), true);
        assert.equal(readBoolean('p', 'true', fallback), true);
        assert.equal(readBoolean('p', false, fallback), false);
        assert.equal(readBoolean('p', 'false', fallback), false);
      }
    });

    it('names the property for anything else', () => {
      for (const value of ['yes', 1, 0, {}]) {
        assert.throws(() => readBoolean('claim', value, false), names('claim'));
      }
    });

    it('gives every boolean property of every node the same meaning of ""', () => {
      // At the current version; a node saved by release 0.1.0 keeps that release's meanings (src/red/migrations.ts).
      const mailIn = readMailInSettings({
        version: currentVersion('o365-mail-in'),
        username: 'a@b.example',
        pollOnStart: '',
        attachments: '',
        claim: '',
      });
      assert.equal(mailIn.poll.pollOnStart, true, 'pollOnStart defaults to true');
      assert.equal(mailIn.receive.attachments, true, 'attachments defaults to true');
      assert.equal(mailIn.receive.claim, false, 'claim defaults to false');
      const mailOut = readMailOutSettings({ version: currentVersion('o365-mail-out'), save: '' });
      assert.equal(mailOut.save, true, 'save defaults to true');
    });
  });

  describe('readMailInSettings', () => {
    it("fills SPEC's defaults", () => {
      const settings = readMailInSettings({ username: 'a@b.example' });
      assert.deepEqual(settings.poll, {
        schedule: { type: 'cron', expression: '0 */5 * * * ?' },
        pollOnStart: true,
        push: false,
      });
      assert.equal(settings.receive.folder, 'inbox');
      assert.equal(settings.receive.filter, 'isRead eq false');
      assert.equal(settings.receive.maxMessages, 100);
    });

    it('reads an interval given as text, and a manual schedule', () => {
      const interval = readMailInSettings({ username: 'a@b.example', pollType: 'interval', interval: '60' });
      assert.deepEqual(interval.poll.schedule, { type: 'interval', seconds: 60 });
      const manual = readMailInSettings({ username: 'a@b.example', pollType: 'manual', pollOnStart: false });
      assert.deepEqual(manual.poll, { schedule: { type: 'manual' }, pollOnStart: false, push: false });
    });

    it('reads push as notifications plus a safety-net interval, 900 s unless given', () => {
      // Push came after release 0.1.0: only current nodes have it.
      const version = currentVersion('o365-mail-in');
      const push = readMailInSettings({ version, username: 'a@b.example', pollType: 'push' });
      assert.deepEqual(push.poll, {
        schedule: { type: 'interval', seconds: 900 },
        pollOnStart: true,
        push: true,
      });
      const given = readMailInSettings({ version, username: 'a@b.example', pollType: 'push', interval: 120 });
      assert.deepEqual(given.poll.schedule, { type: 'interval', seconds: 120 });
      assert.throws(
        () => readMailInSettings({ version, username: 'a@b.example', pollType: 'push', interval: -1 }),
        names('interval'),
      );
    });

    it('names the property of a schedule that cannot work, with the problem apart', () => {
      assert.throws(
        () => readMailInSettings({ username: 'a@b.example', cron: '0 0 0 32 * ?' }),
        (err: unknown) => names('cron')(err) && /day-of-month/.test(String((err as ConfigError).detail)),
      );
      assert.throws(
        () => readMailInSettings({ username: 'a@b.example', pollType: 'interval', interval: 0 }),
        names('interval'),
      );
      assert.throws(
        () => readMailInSettings({ username: 'a@b.example', pollType: 'hourly' }),
        names('pollType'),
      );
    });

    it('checks the mailbox before the schedule', () => {
      assert.throws(() => readMailInSettings({ cron: 'nonsense' }), names('username'));
    });
  });

  describe('readConfigSettings', () => {
    it('takes the text properties and the credentials that are set, nothing else', () => {
      const settings = readConfigSettings(
        {
          id: 'n1',
          version: currentVersion('o365-config'),
          name: 'x',
          tenantId: 'contoso.example',
          cloud: 'global',
          applicationId: 42 as unknown as string,
        },
        { clientSecret: 's', privateKey: '' },
      );
      assert.deepEqual(settings, { tenantId: 'contoso.example', cloud: 'global', clientSecret: 's' });
    });

    it('reads the public URL and whether a user signs in with the account, once for the node', () => {
      const delegated = readConfigNodeSettings(
        {
          tenantId: 'common',
          applicationId: 'app',
          authType: 'delegated',
          publicUrl: ' https://nr.example/ ',
        },
        {},
      );
      assert.equal(delegated.delegated, true);
      assert.equal(delegated.publicUrl, 'https://nr.example/');
      assert.equal(delegated.account.authType, 'delegated');
      // Saved by release 0.1.0: no authType (a secret) and no public URL.
      const old = readConfigNodeSettings(
        { tenantId: 'contoso.example', applicationId: 'app' },
        { clientSecret: 's' },
      );
      assert.deepEqual([old.delegated, old.publicUrl, old.account.authType], [false, '', 'secret']);
    });
  });
});
