/**
 * Texts from the message catalogues: this package's (nodes/locales/<language>/<node>.json) and Node-RED's own
 * (`node-red:common.*`). English exists once, in the en-US catalogue: where RED._ does not know a key (it answers
 * with the key itself, as node-red-node-test-helper always does), the shipped en-US catalogue answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeRED } from './types';

export type Substitutions = Record<string, string | number>;

/** Keys of the config node's catalogue, usable from every node (RED._ otherwise looks in the caller's own). */
export const CONFIG_CATALOGUE = '@mailgraph/node-red-o365-mail/o365-config';

/** The text of a catalogue key (`o365-mail-in.status.polling`, `<namespace>:<key>`), translated when RED can. */
export function catalogueText(RED: NodeRED, key: string, subs?: Substitutions): string {
  const value = RED._(key, subs);
  const bare = key.slice(key.indexOf(':') + 1);
  if (value && value !== key && value !== bare) return value;
  return englishText(key, subs);
}

/** The en-US text of a catalogue key, for runtimes and tools without RED (the key itself when it has none). */
export function englishText(key: string, subs?: Substitutions): string {
  const namespace = key.includes(':') ? key.slice(0, key.indexOf(':')) : '';
  const bare = key.slice(key.indexOf(':') + 1);
  const catalogue = namespace === 'node-red' ? nodeRedCatalogue() : packageCatalogue(bare.split('.')[0]);
  const text = bare
    .split('.')
    .reduce<unknown>((at, part) => (at as Record<string, unknown>)?.[part], catalogue);
  if (typeof text !== 'string') return key;
  return text.replace(/__(\w+)__/g, (whole, name: string) => (subs?.[name] ?? whole).toString());
}

const catalogues = new Map<string, unknown>();

function packageCatalogue(node: string): unknown {
  if (!catalogues.has(node)) {
    // Built code sits in nodes/red/, beside nodes/locales; the sources in src/red/.
    const candidates = [
      path.resolve(__dirname, '..', 'locales', 'en-US', `${node}.json`),
      path.resolve(__dirname, '..', '..', 'nodes', 'locales', 'en-US', `${node}.json`),
    ];
    catalogues.set(node, readJson(candidates));
  }
  return catalogues.get(node);
}

function nodeRedCatalogue(): unknown {
  if (!catalogues.has('node-red')) {
    let file: string | undefined;
    try {
      file = require.resolve('@node-red/nodes/locales/en-US/messages.json');
    } catch {
      file = undefined; // Node-RED's catalogue answers through RED._ where Node-RED runs
    }
    catalogues.set('node-red', file ? readJson([file]) : undefined);
  }
  return catalogues.get('node-red');
}

function readJson(candidates: string[]): unknown {
  for (const file of candidates) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    } catch {
      // the next candidate
    }
  }
  return undefined;
}
