import assert from 'node:assert/strict';
import { categoriesAfter, changeFor, operationNamed, parseCategories } from '../../../src/act/operations';

describe('mail action operations', () => {
  it('knows the operations by name in any case, and nothing else', () => {
    assert.equal(operationNamed('markRead'), 'markRead');
    assert.equal(operationNamed(' MARKREAD '), 'markRead');
    assert.equal(operationNamed('getmime'), 'getMime');
    assert.equal(operationNamed('archive'), undefined);
    assert.equal(operationNamed(3), undefined);
  });

  it('reads categories from text or a list: trimmed, empty names dropped, each name once whatever its case', () => {
    assert.deepEqual(parseCategories(' Orders, Urgent ;orders;; '), ['Orders', 'Urgent']);
    assert.deepEqual(parseCategories(['A', ' b ', 'B']), ['A', 'b']);
    assert.deepEqual(parseCategories(undefined), []);
    assert.throws(() => parseCategories(['A', 7]), /categories\[1\] must be a name/);
    assert.throws(() => parseCategories({ a: 1 }), /categories must be text/);
  });

  it('adds, removes and sets categories, matching names without regard to case', () => {
    assert.deepEqual(categoriesAfter('add', ['Red', 'Blue'], ['blue', 'Green']), ['Red', 'Blue', 'Green']);
    assert.deepEqual(categoriesAfter('remove', ['Red', 'Blue'], ['RED']), ['Blue']);
    assert.deepEqual(categoriesAfter('set', ['Red'], ['Green']), ['Green']);
  });

  it('makes the Graph change of each operation', () => {
    assert.deepEqual(changeFor('markRead', 'id1'), {
      messageId: 'id1',
      method: 'PATCH',
      body: { isRead: true },
    });
    assert.deepEqual(changeFor('markUnread', 'id1').body, { isRead: false });
    assert.deepEqual(changeFor('flag', 'id1').body, { flag: { flagStatus: 'flagged' } });
    assert.deepEqual(changeFor('unflag', 'id1').body, { flag: { flagStatus: 'notFlagged' } });
    assert.deepEqual(changeFor('complete', 'id1').body, { flag: { flagStatus: 'complete' } });
    assert.deepEqual(changeFor('categorize', 'id1', { categories: ['A'] }).body, { categories: ['A'] });
    assert.deepEqual(changeFor('delete', 'id1'), { messageId: 'id1', method: 'DELETE' });
    assert.deepEqual(changeFor('copy', 'id1', { destinationId: 'F' }), {
      messageId: 'id1',
      method: 'POST',
      action: 'copy',
      body: { destinationId: 'F' },
    });
  });
});
