import assert from 'node:assert/strict';
import { GraphError, NetworkError } from '../../../src/graph/errors';
import {
  decideRepeat,
  describeUnclear,
  isDraftGone,
  isUnclear,
  lookupTimes,
  type SendEvidence,
} from '../../../src/send/repeat';
import { outcomeUnknown, refused, unclearAnswer } from './fake-api';

describe('never sent twice: deciding whether a send may be repeated', () => {
  it('repeats only a draft that is still a draft; Sent Items proves a send; nothing else decides', () => {
    const cases: [SendEvidence, string][] = [
      [{ kind: 'in-sent-items' }, 'sent'],
      [{ kind: 'still-a-draft' }, 'repeat'],
      [{ kind: 'not-in-sent-items', lookedForMs: 30_000, draftGone: false }, 'unknown'],
      [{ kind: 'not-in-sent-items', lookedForMs: 30_000, draftGone: true }, 'unknown'],
      [{ kind: 'untraceable' }, 'unknown'],
      [{ kind: 'unreadable', error: new Error('x') }, 'unknown'],
    ];
    for (const [evidence, decision] of cases) assert.equal(decideRepeat(evidence), decision, evidence.kind);
  });

  it('takes 503, 504, timeouts and anything unexpected as unclear; a clear refusal is not', () => {
    assert.equal(isUnclear(unclearAnswer(503)), true);
    assert.equal(isUnclear(outcomeUnknown()), true);
    assert.equal(isUnclear(new TypeError('boom')), true);
    assert.equal(isUnclear(refused()), false);
    assert.equal(
      isUnclear(new GraphError({ code: 'ApplicationThrottled', reason: 'throttled', status: 429 })),
      false,
    );
  });

  it('reads 404 and "not a draft" answers to a repeated /send as the draft being gone', () => {
    assert.equal(isDraftGone(refused(404, 'ErrorItemNotFound', 'item-not-found')), true);
    assert.equal(isDraftGone(refused(400, 'ErrorInvalidOperation')), true);
    assert.equal(isDraftGone(refused(400, 'ErrorInvalidRecipients')), false);
    assert.equal(isDraftGone(unclearAnswer(504)), false);
  });

  it('describes an unclear answer by status and request id, or by what the network said', () => {
    assert.equal(describeUnclear(unclearAnswer(504)), 'Graph answered HTTP 504, request-id req-1');
    const timeout = new NetworkError({
      code: 'OutcomeUnknown',
      reason: 'outcome-unknown',
      serviceMessage: 'Graph did not answer in time',
    });
    assert.equal(describeUnclear(timeout), 'Graph did not answer in time');
  });

  it('looks in Sent Items more often at first, and once more at the end of the wait', () => {
    assert.deepEqual(lookupTimes(0), [0]);
    assert.deepEqual(lookupTimes(600), [0, 500, 600]);
    assert.deepEqual(lookupTimes(30_000), [0, 500, 1500, 3500, 7500, 15_500, 30_000]);
  });
});
