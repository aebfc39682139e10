import { strict as assert } from 'node:assert';
import { compileFilter } from '../../../src/receive/filter';
import type { GraphMessage } from '../../../src/graph/mail-api';

const mail = (fields: Record<string, unknown>): GraphMessage => ({ id: 'x', ...fields });

describe('receive: filters delta can apply itself', () => {
  it('matches every mail for an empty filter', () => {
    const match = compileFilter('  ');
    assert.ok(match);
    assert.equal(match(mail({})), true);
  });

  it('applies isRead eq false, SPEC default', () => {
    const match = compileFilter('isRead eq false');
    assert.ok(match);
    assert.equal(match(mail({ isRead: false })), true);
    assert.equal(match(mail({ isRead: true })), false);
  });

  it('joins clauses with and, compares strings case-insensitively and reads doubled quotes', () => {
    const match = compileFilter("importance eq 'High' and subject ne 'O''Brien' and hasAttachments eq true");
    assert.ok(match);
    assert.equal(match(mail({ importance: 'high', subject: 'hi', hasAttachments: true })), true);
    assert.equal(match(mail({ importance: 'high', subject: "O'Brien", hasAttachments: true })), false);
    assert.equal(match(mail({ importance: 'low', subject: 'hi', hasAttachments: true })), false);
    assert.equal(match(mail({ importance: 'high', subject: 'hi', hasAttachments: false })), false);
  });

  it("applies the sender's address", () => {
    const match = compileFilter("from/emailAddress/address eq 'a@b.example'");
    assert.ok(match);
    assert.equal(match(mail({ from: { emailAddress: { address: 'A@B.example' } } })), true);
    assert.equal(match(mail({ from: null })), false);
  });

  it('keeps " and " inside a string literal', () => {
    const match = compileFilter("subject eq 'salt and pepper'");
    assert.ok(match);
    assert.equal(match(mail({ subject: 'salt and pepper' })), true);
  });

  for (const filter of [
    'isRead eq false or hasAttachments eq true',
    '(isRead eq false)',
    'receivedDateTime ge 2026-01-01T00:00:00Z',
    "contains(subject, 'x')",
    "isRead eq 'false'",
    "subject eq 'unterminated",
    "categories/any(c:c eq 'x')",
  ]) {
    it(`leaves ${JSON.stringify(filter)} to a listing (null)`, () => {
      assert.equal(compileFilter(filter), null);
    });
  }
});
