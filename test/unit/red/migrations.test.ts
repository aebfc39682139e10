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
import { ErrorCodes } from '../../../src/graph/error-codes';
import { ConfigError } from '../../../src/graph/errors';
import { currentVersion, migrate, MIGRATIONS, SavedVersionError } from '../../../src/red/migrations';
import type { MailInProperties } from '../../../src/red/properties';
import {
  readConfigSettings,
  readMailActionSettings,
  readMailInSettings,
  readMailOutSettings,
} from '../../../src/red/settings';
import { readPollSettings } from '../../../src/schedule';
import * as release010 from './release-0.1.0';

type SavedNode = Record<string, unknown> & { id: string; type: string };

const RELEASE_0_1_0: SavedNode[] = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'flows', 'release-0.1.0.json'), 'utf8'),
);
const savedOf = (type: string) => RELEASE_0_1_0.filter((node) => node.type === type);
/** The node types release 0.1.0 had (o365-mail-action came later). */
const RELEASE_0_1_0_TYPES = ['o365-config', 'o365-mail-in', 'o365-mail-out'];

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

  it('a node saved without a version gets every property the editor saves, but those a user must give', () => {
    const given = ['account', 'username', 'tenantId', 'applicationId'];
    for (const editor of EDITORS) {
      const { properties } = migrate(editor.type, { type: editor.type });
      const missing = Object.keys(defineNode(editor).defaults).filter(
        (prop) => !(prop in properties) && !given.includes(prop),
      );
      assert.deepEqual(missing, [], `${editor.type}: a later default would change what these mean`);
    }
  });

  it('a flow saved by this release (examples/) is read as it was saved', () => {
    const dir = path.join(__dirname, '..', '..', '..', 'examples');
    const nodes = fs
      .readdirSync(dir)
      .flatMap((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as SavedNode[])
      .filter((node) => node.type.startsWith('o365-'));
    assert.deepEqual(
      [...new Set(nodes.map((node) => node.type))].sort(),
      EDITORS.map((editor) => editor.type).sort(),
      'the examples hold every node type',
    );
    for (const saved of nodes) {
      assert.equal(
        saved.version,
        currentVersion(saved.type),
        `${saved.id}: saved with this release's version`,
      );
      const { properties, from, to } = migrate(saved.type, freeze(structuredClone(saved)));
      assert.equal(from, to, saved.id);
      assert.deepEqual(properties, saved, `${saved.id}: no step touches it`);
    }
    for (const saved of nodes.filter((node) => node.type === 'o365-mail-in')) readMailInSettings(saved);
    for (const saved of nodes.filter((node) => node.type === 'o365-mail-out')) readMailOutSettings(saved);
    for (const saved of nodes.filter((node) => node.type === 'o365-mail-action'))
      readMailActionSettings(saved);
  });

  it('the fixture holds every node type of release 0.1.0, as that release saved them (no version)', () => {
    for (const type of RELEASE_0_1_0_TYPES) assert.ok(savedOf(type).length >= 2, `${type}: too few nodes`);
    for (const node of RELEASE_0_1_0) assert.equal(node.version, undefined, node.id);
  });

  it('mail in of release 0.1.0 fetches, acknowledges and polls as that release did', () => {
    for (const saved of savedOf('o365-mail-in')) {
      const settings = readMailInSettings(saved);
      assert.deepEqual(settings.receive, release010.receiveOptions(saved), saved.id);
      assert.deepEqual(settings.poll, release010.pollSettings(saved), saved.id);
      const { properties, from, to } = migrate('o365-mail-in', saved);
      assert.deepEqual([from, to, properties.version], [0, 1, 1]);
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
    // Today's readers take an empty flag as its default; without the migration this node would poll at start.
    assert.equal(readPollSettings(saved as MailInProperties).pollOnStart, true);
    assert.equal(readMailInSettings(saved).poll.pollOnStart, false);
  });

  it('mail out of release 0.1.0 sends as that release did', () => {
    for (const saved of savedOf('o365-mail-out')) {
      assert.deepEqual(readMailOutSettings(saved), release010.sendSettings(saved), saved.id);
      assert.equal(typeof migrate('o365-mail-out', saved).properties.save, 'boolean');
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

  it('mail action saved without a version (by hand or a tool) gets the defaults it first shipped with', () => {
    const { properties, from, to } = migrate('o365-mail-action', {
      type: 'o365-mail-action',
      target: 'Done',
    });
    assert.equal(from, 0);
    assert.equal(to, 1);
    assert.deepEqual(properties, {
      type: 'o365-mail-action',
      name: '',
      username: '',
      usernameType: 'str',
      target: 'Done',
      targetType: 'str',
      operation: 'markRead',
      categoryMode: 'add',
      bodyFormat: 'text',
      attachments: true,
      output: 'message',
      version: 1,
    });
    assert.equal(readMailActionSettings({ operation: 'move', target: 'Done' }).operation, 'move');
  });

  it('an account of release 0.1.0 signs in to the same cloud the same way', () => {
    for (const saved of savedOf('o365-config')) {
      const settings = readConfigSettings(saved, { clientSecret: 'not-a-real-secret' });
      assert.deepEqual(
        { cloud: settings.cloud, authType: settings.authType },
        release010.accountChoices(saved),
        saved.id,
      );
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
        err instanceof ConfigError &&
        err.code === ErrorCodes.newerVersion &&
        err.property === 'version' &&
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
        (err: unknown) => err instanceof SavedVersionError && err.code === ErrorCodes.unreadableVersion,
        JSON.stringify(version),
      );
    }
    assert.equal(migrate('o365-mail-out', { version: '1' }).from, 1, 'a version as text is read');
  });

  it('names an unknown node type instead of passing it through', () => {
    assert.throws(() => migrate('o365-unknown', {}), /no saved-flow versions .*o365-unknown/);
  });
});
