import assert from 'node:assert/strict';
import { readConnectionOptions } from '../../../src/graph/connection';
import { DEFAULT_MAX_MESSAGE_BYTES, readSendTuning } from '../../../src/send/limits';

const MB = 1024 * 1024;

describe('send tuning from settings.js', () => {
  it("defaults to Exchange's 35 MB, a 30 s look in Sent Items and the client's retry bounds", () => {
    assert.deepEqual(readSendTuning(undefined), {
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      sentItemsWaitMs: 30_000,
      maxWaitMs: 300_000,
      maxAttempts: 8,
      baseDelayMs: 1000,
    });
    assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 35 * MB);
  });

  it('takes the tenant maximum message size in MB, within 1..150, and the retry keys', () => {
    const tuning = readSendTuning({
      maxMessageSizeMB: 150,
      retry: { sentItemsWaitMs: 5000, maxTotalDelayMs: 60_000, maxAttempts: 3, baseDelayMs: 10 },
    });
    assert.deepEqual(tuning, {
      maxMessageBytes: 150 * MB,
      sentItemsWaitMs: 5000,
      maxWaitMs: 60_000,
      maxAttempts: 3,
      baseDelayMs: 10,
    });
    assert.equal(readSendTuning({ maxMessageSizeMB: 500 }).maxMessageBytes, 150 * MB);
    assert.equal(readSendTuning({ maxMessageSizeMB: 0.1 }).maxMessageBytes, MB);
    assert.equal(readSendTuning({ maxMessageSizeMB: 'big' }).maxMessageBytes, 35 * MB);
  });

  it('reads the upload window and the whole-wait bound for the Graph client', () => {
    const options = readConnectionOptions({ uploadLimit: { bytes: 1000 }, retry: { maxTotalDelayMs: 9000 } });
    assert.deepEqual(options.uploadLimit, { bytes: 1000, windowMs: 300_000 });
    assert.equal(options.retry?.maxTotalDelayMs, 9000);
    assert.deepEqual(readConnectionOptions(undefined).uploadLimit, { bytes: 150_000_000, windowMs: 300_000 });
  });
});
