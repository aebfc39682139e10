/** Drain and acknowledge: every mail of a folder is delivered once and then marked read, deleted or moved. */
import { strict as assert } from 'node:assert';
import { assertOnceEach, numbered, type Scenario } from '../harness';

export const scenarios: Scenario[] = [
  {
    name: 'drain with action read: each mail once, then read; a later poll delivers nothing',
    async run(t) {
      const folder = await t.folder('read');
      const subjects = await t.seed(folder, numbered('read', 5));
      const r = t.receiver({ folder, action: 'read' });
      await r.pollUntilQuiet();
      assertOnceEach(r.delivered, subjects);
      const left = await t.list(folder);
      assert.deepEqual(
        left.filter((m) => !m.isRead).map((m) => m.subject),
        [],
        'every delivered mail is marked read',
      );
      assert.equal(left.length, subjects.length, 'nothing was removed');
      assert.deepEqual(r.problems, []);
    },
  },
  {
    name: 'drain with action delete: each mail once, then gone from the folder',
    async run(t) {
      const folder = await t.folder('delete');
      const subjects = await t.seed(folder, numbered('delete', 5));
      const r = t.receiver({ folder, action: 'delete' });
      await r.pollUntilQuiet();
      assertOnceEach(r.delivered, subjects);
      assert.deepEqual(await t.list(folder), [], 'the folder is empty');
      assert.deepEqual(r.problems, []);
    },
  },
  {
    name: 'drain with action move: each mail once, then in the destination folder',
    async run(t) {
      const folder = await t.folder('move-from');
      const destination = await t.folder('move-to');
      const subjects = await t.seed(folder, numbered('move', 5));
      const r = t.receiver({ folder, action: 'move', moveTo: destination });
      await r.pollUntilQuiet();
      assertOnceEach(r.delivered, subjects);
      assert.deepEqual(await t.list(folder), [], 'the source folder is empty');
      assert.deepEqual((await t.list(destination)).map((m) => m.subject).sort(), [...subjects].sort());
      assert.deepEqual(r.problems, []);
    },
  },
];
