/** Status texts come from the catalogues: RED._ when it knows the key, else the shipped en-US catalogue. */
import { strict as assert } from 'node:assert';
import { ConfigError, GraphError } from '../../../src/graph/errors';
import { catalogueText, englishText } from '../../../src/red/catalogue';
import { settingsProblemText } from '../../../src/red/messages';
import { readPollSettings } from '../../../src/schedule';
import fs from 'node:fs';
import path from 'node:path';
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

  it("words a bad cron expression in the language of the catalogue, without the parser's English", () => {
    const file = path.resolve(__dirname, '../../../nodes/locales/de/o365-mail-in.json');
    const catalogue = JSON.parse(fs.readFileSync(file, 'utf8'))['o365-mail-in'];
    const known: Record<string, string> = { 'o365-mail-in.errors.bad-cron': catalogue.errors['bad-cron'] };
    for (const [code, text] of Object.entries(catalogue['cron-problem']))
      known[`o365-mail-in.cron-problem.${code}`] = String(text);
    for (const [field, text] of Object.entries(catalogue['cron-field']))
      known[`o365-mail-in.cron-field.${field}`] = String(text);
    const textOf = (cron: string) => {
      try {
        readPollSettings({ pollType: 'cron', cron });
      } catch (err) {
        return settingsProblemText(red(known), 'o365-mail-in', err);
      }
      return 'valid';
    };
    assert.equal(textOf('0 61 * * * ?'), 'ungültiger Cron-Ausdruck: Minute: "61" ist ungültig');
    assert.equal(
      textOf('* * * *'),
      catalogue['cron-problem']['field-count']
        .replace('__count__', '4')
        .replace(/^/, 'ungültiger Cron-Ausdruck: '),
    );
    assert.equal(
      textOf('0 0 12 1 * MON'),
      'ungültiger Cron-Ausdruck: Tag-im-Monat "1" und Wochentag "MON" sind beide gesetzt; in einem von beiden ? verwenden',
    );
    // Without a translation, the en-US catalogue words it.
    assert.equal(
      settingsProblemText(
        red(),
        'o365-mail-in',
        captured(() => readPollSettings({ cron: '0 0 0 30 2 ?' })),
      ),
      'invalid cron expression: "0 0 0 30 2 ?" never runs again (an impossible date, or a past year)',
    );
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  assert.fail('no error thrown');
}
