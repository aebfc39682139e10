/** Status texts come from the catalogues: RED._ when it knows the key, else the shipped en-US catalogue. */
import { strict as assert } from 'node:assert';
import { ConfigError, GraphError } from '../../../src/graph/errors';
import { catalogueText, englishText } from '../../../src/red/catalogue';
import { reasonText, retryStatus } from '../../../src/red/status';
import type { NodeRED } from '../../../src/red/types';

/** A RED whose `_` knows some keys (a German catalogue) and answers others with the key, as i18next does. */
function red(known: Record<string, string> = {}): NodeRED {
  return {
    _: (key: string, subs?: Record<string, string | number>) => {
      const bare = key.slice(key.indexOf(':') + 1);
      const text = known[key];
      if (text === undefined) return bare;
      return text.replace(/__(\w+)__/g, (_, name: string) => String(subs?.[name] ?? ''));
    },
  } as unknown as NodeRED;
}

describe('status texts', () => {
  it('takes the translation RED._ gives, and the en-US catalogue where it has none', () => {
    const de = red({ 'o365-mail-in.status.polling': 'rufe ab' });
    assert.equal(catalogueText(de, 'o365-mail-in.status.polling'), 'rufe ab');
    assert.equal(catalogueText(de, 'o365-mail-in.status.waiting'), 'waiting for input');
    assert.equal(catalogueText(red(), 'o365-mail-out.status.sent', { count: 3 }), '3 sent');
  });

  it("reads Node-RED's own catalogue for node-red:common keys", () => {
    assert.equal(englishText('node-red:common.status.error'), 'error');
  });

  it('answers a key no catalogue has with the key, so a missing text shows', () => {
    assert.equal(englishText('o365-mail-in.status.no-such-key'), 'o365-mail-in.status.no-such-key');
  });

  it('makes one "throttled, retrying in Ns" status for every node, and none for a retry without a wait', () => {
    const status = retryStatus(red(), { attempt: 1, delayMs: 1500, code: 'TooManyRequests' });
    assert.deepEqual(status, { fill: 'yellow', shape: 'ring', text: 'throttled, retrying in 2s' });
    assert.equal(retryStatus(red(), { attempt: 1, delayMs: 0, code: 'BatchItemsThrottled' }), undefined);
  });

  it("gives an error's short reason from its reason key, and Node-RED's 'error' for anything else", () => {
    assert.equal(reasonText(red(), new ConfigError('x', { property: 'cron' })), 'configuration invalid');
    assert.equal(reasonText(red(), new GraphError({ code: 'X', reason: 'throttled' })), 'throttled');
    assert.equal(reasonText(red(), new Error('boom')), 'error');
  });
});
