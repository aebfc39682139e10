/**
 * Saved-flow versions (src/red/migrations.ts): a flow saved by release 0.1.0 (test/fixtures/flows/release-0.1.0.json,
 * built from examples/ and the dialogs' defaults of that release) means the same after migration, and a version
 * this release cannot read is refused, never guessed at.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { defineNode } from '../../../src/editor/dialog';
import { EDITORS } from '../../../src/editor/nodes';
import { normaliseAccount } from '../../../src/graph/account';
import { normaliseReceiveOptions } from '../../../src/receive';
import {
  currentVersion,
  migrate,
  MIGRATIONS,
  SavedProperties,
  SavedVersionError,
} from '../../../src/red/migrations';
import { mailOutSettings } from '../../../src/send/input';

type SavedNode = Record<string, unknown> & { id: string; type: string };

const RELEASE_0_1_0: SavedNode[] = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'flows', 'release-0.1.0.json'), 'utf8'),
);
const savedOf = (type: string) => RELEASE_0_1_0.filter((node) => node.type === type);

/** How o365-mail-in of release 0.1.0 read its mail settings. */
function receiveOptions(saved: SavedProperties) {
  return normaliseReceiveOptions({ ...saved, mailbox: saved.username });
}

/** How o365-mail-in of release 0.1.0 read its schedule (src/o365-mail-in.ts at 0.1.0). */
function schedule0(saved: SavedProperties) {
  const type = saved.pollType || 'cron';
  const interval = saved.interval === undefined || saved.interval === '' ? 300 : Number(saved.interval);
  return {
    type,
    seconds: type === 'interval' ? interval : undefined,
    expression:
      type === 'cron' ? (saved.cron === undefined ? '0 */5 * * * ?' : String(saved.cron)) : undefined,
    pollOnStart:
      saved.pollOnStart === undefined ? true : saved.pollOnStart === true || saved.pollOnStart === 'true',
  };
}

/** How o365-mail-out of release 0.1.0 read the type of a field, and its fixed settings. */
function mailOut0(saved: SavedProperties) {
  const types = ['username', 'subject', 'toRecipients', 'ccRecipients', 'bccRecipients'].map(
    (field) => String(saved[`${field}Type`] ?? 'str') || 'str',
  );
  const literal = (field: string) =>
    typeof saved[field] === 'string' && (saved[field] as string).trim() !== '' ? saved[field] : undefined;
  const fields = ['username', 'subject', 'toRecipients', 'ccRecipients', 'bccRecipients'].map(literal);
  return { types, fields, ...mailOutSettings(saved) };
}

function freeze<T>(value: T): T {
  if (value && typeof value === 'object') Object.values(value).forEach(freeze);
  return Object.freeze(value);
}

describe('saved-flow versions', () => {
  it('every node type has steps numbered 1, 2, ... and saves the last one', () => {
    for (const [type, steps] of Object.entries(MIGRATIONS)) {
      assert.deepEqual(
        steps.map((step) => step.to),
        steps.map((_, i) => i + 1),
        `${type}: steps out of order`,
      );
      assert.equal(currentVersion(type), steps.length);
    }
  });

  it('the editor gives a new node the version the runtime reads', () => {
    for (const editor of EDITORS) {
      assert.equal(defineNode(editor).defaults.version.value, currentVersion(editor.type), editor.type);
    }
  });

  it('the fixture holds every node type, as release 0.1.0 saved them (no version)', () => {
    for (const type of Object.keys(MIGRATIONS))
      assert.ok(savedOf(type).length >= 2, `${type}: too few nodes`);
    for (const node of RELEASE_0_1_0) assert.equal(node.version, undefined, node.id);
  });

  it('mail in of release 0.1.0 fetches, acknowledges and polls as before after migration', () => {
    for (const saved of savedOf('o365-mail-in')) {
      const { properties, from, to } = migrate('o365-mail-in', saved);
      assert.equal(from, 0);
      assert.equal(to, 1);
      assert.equal(properties.version, 1);
      assert.deepEqual(receiveOptions(properties), receiveOptions(saved), saved.id);
      assert.deepEqual(schedule0(properties), schedule0(saved), saved.id);
      // Version 1 spells out what 0.1.0 assumed, so a later default cannot change it.
      for (const prop of ['folder', 'action', 'pollType', 'interval', 'maxMessages', 'output']) {
        assert.notEqual(properties[prop], undefined, `${saved.id}: ${prop}`);
        assert.notEqual(properties[prop], '', `${saved.id}: ${prop}`);
      }
      assert.equal(typeof properties.filter, 'string', `${saved.id}: filter ("" is no filter)`);
      for (const flag of ['pollOnStart', 'attachments', 'claim']) {
        assert.equal(typeof properties[flag], 'boolean', `${saved.id}: ${flag}`);
      }
    }
  });

  it('reads the flags release 0.1.0 stored as text the way that release did', () => {
    const saved = RELEASE_0_1_0.find((node) => node.name === 'flags as text') as SavedNode;
    const { properties } = migrate('o365-mail-in', saved);
    assert.equal(properties.pollOnStart, false, 'an empty pollOnStart did not poll at start');
    assert.equal(properties.attachments, false);
    assert.equal(properties.claim, true);
    assert.equal(properties.filter, '', 'an empty filter stays "no filter"');
    assert.equal(properties.folder, 'inbox');
  });

  it('mail out of release 0.1.0 sends as before after migration', () => {
    for (const saved of savedOf('o365-mail-out')) {
      const { properties } = migrate('o365-mail-out', saved);
      assert.deepEqual(mailOut0(properties), mailOut0(saved), saved.id);
      assert.equal(typeof properties.save, 'boolean');
    }
    const before = RELEASE_0_1_0.find((node) => node.name === 'before field types') as SavedNode;
    const { properties } = migrate('o365-mail-out', before);
    assert.equal(
      properties.toRecipientsType,
      'str',
      'fields saved before their types existed are literal text',
    );
    assert.equal(properties.save, false);
  });

  it('an account of release 0.1.0 signs in to the same cloud the same way after migration', () => {
    const credentials = { clientSecret: 'not-a-real-secret' };
    const ids = {
      tenantId: '6f1a2b3c-0000-4000-8000-000000000001',
      applicationId: '6f1a2b3c-0000-4000-8000-000000000002',
    };
    for (const saved of savedOf('o365-config')) {
      const { properties } = migrate('o365-config', saved);
      assert.deepEqual(
        normaliseAccount({ ...properties, ...ids, ...credentials }),
        normaliseAccount({ ...saved, ...ids, ...credentials }),
      );
      assert.equal(properties.cloud, 'global');
      assert.equal(properties.authType, 'secret');
    }
  });

  it('a node at the current version is left as it is, and the saved object is never changed', () => {
    for (const saved of RELEASE_0_1_0.filter((node) => node.type !== 'tab')) {
      const frozen = freeze(structuredClone(saved));
      const once = migrate(saved.type, frozen).properties;
      const twice = migrate(saved.type, once);
      assert.equal(twice.from, twice.to);
      assert.deepEqual(twice.properties, once);
    }
  });

  it('refuses a node saved by a newer release, saying which version and what to do', () => {
    const saved = { ...savedOf('o365-mail-in')[0], version: 2 };
    assert.throws(
      () => migrate('o365-mail-in', saved),
      (err: unknown) =>
        err instanceof SavedVersionError &&
        err.code === 'NewerVersion' &&
        err.nodeType === 'o365-mail-in' &&
        err.version === 2 &&
        err.supported === 1 &&
        /newer release.*update the package/.test(err.message),
    );
  });

  it('refuses a version no release saves instead of guessing', () => {
    for (const version of ['two', -1, 1.5, true, {}]) {
      assert.throws(
        () => migrate('o365-mail-out', { version }),
        (err: unknown) => err instanceof SavedVersionError && err.code === 'UnreadableVersion',
        JSON.stringify(version),
      );
    }
    assert.equal(migrate('o365-mail-out', { version: '1' }).from, 1, 'a version as text is read');
  });

  it('names an unknown node type instead of passing it through', () => {
    assert.throws(() => migrate('o365-unknown', {}), /no saved-flow versions .*o365-unknown/);
  });
});
