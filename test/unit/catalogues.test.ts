/**
 * English exists once, in the message catalogues (nodes/locales/<language>/<type>.json), and every language has
 * every text: a key used by the runtime (src/**) or a dialog (src/editor/, which writes nodes/<type>.html) that a
 * catalogue lacks fails here, and so does a key one language has and another lacks.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { EDITORS } from '../../src/editor/nodes';
import { formKeys } from '../../src/editor/form';
import { CronProblemCodes } from '../../src/graph/error-codes';
import { SAVED_VERSION_ERROR_CODES } from '../../src/red/migrations';
import { QUARTZ_FIELDS } from '../../src/schedule';

const root = path.resolve(__dirname, '..', '..');
const LANGUAGES = ['en-US', 'de'];
const NODE_TYPES = EDITORS.map((editor) => editor.type);
const PACKAGE = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name as string;

type Catalogue = Record<string, unknown>;

function readJson(file: string): Catalogue {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Catalogue;
}

/** The package's catalogues of one language, merged: each file's top level is its node type. */
function packageCatalogue(language: string): Catalogue {
  return Object.assign(
    {},
    ...NODE_TYPES.map((type) => readJson(path.join(root, 'nodes', 'locales', language, `${type}.json`))),
  );
}

/** Node-RED's own catalogue, for the `node-red:` keys it lends to every node. */
function nodeRedCatalogue(language: string): Catalogue {
  return readJson(
    path.join(
      path.dirname(require.resolve('@node-red/nodes/package.json')),
      'locales',
      language,
      'messages.json',
    ),
  );
}

/** Every leaf key of a catalogue, dotted. */
function leafKeys(catalogue: unknown, prefix = ''): string[] {
  if (typeof catalogue !== 'object' || catalogue === null) return [prefix];
  return Object.entries(catalogue).flatMap(([key, value]) =>
    leafKeys(value, prefix ? `${prefix}.${key}` : key),
  );
}

function lookup(catalogue: Catalogue, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalogue);
}

/** A key as code writes it, resolved to the catalogue and path it names. */
function resolve(key: string, language: string): unknown {
  const [namespace, name] = key.includes(':') ? key.split(':') : ['', key];
  if (namespace === 'node-red') return lookup(nodeRedCatalogue(language), name);
  if (namespace && !namespace.startsWith(`${PACKAGE}/`)) return undefined;
  return lookup(packageCatalogue(language), name);
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? sourceFiles(path.join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [path.join(dir, entry.name)]
          : [],
    );
}

const TYPE_PATTERN = NODE_TYPES.map((type) => type.replace(/-/g, '\\-')).join('|');
/** A string or template literal that is a catalogue key: `[namespace:]<type>.<path>`, `${TYPE}` for the file's type. */
const KEY_LITERAL = new RegExp(
  `(['"\`])((?:[\\w@/.-]+:)?(?:\\$\\{TYPE\\}|${TYPE_PATTERN})\\.[^'"\`\\s]*)\\1`,
  'g',
);
/** The glue's own translator, `t('errors.x', ...)`, names keys below the node's type. */
const GLUE_KEY = /(?<![.\w])t\(\s*(['`])([\w.${}-]+)\1/g;

interface KeyUse {
  key: string;
  where: string;
}

/** The keys a source file uses. Keys with a computed part are given as their fixed start, ending in a dot. */
function keysUsedIn(file: string): KeyUse[] {
  // Comments may name keys loosely (`errors.<key>`); only code counts.
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const where = path.relative(root, file);
  const fileType =
    /\bconst TYPE = '([\w-]+)'/.exec(text)?.[1] ??
    NODE_TYPES.find((type) => path.basename(file) === `${type}.ts` && !where.includes('editor'));
  const uses: KeyUse[] = [];
  const add = (key: string) => uses.push({ key: key.replace(/\$\{[^}]*\}.*$/, ''), where });
  for (const [, , key] of text.matchAll(KEY_LITERAL)) {
    // Icon files and admin permissions ("o365-config.write") look like keys but are not.
    if (/\.svg$|^[\w-]+\.(read|write)$/.test(key)) continue;
    if (key.includes('${TYPE}') && !fileType) assert.fail(`${where} uses \${TYPE} but defines no TYPE`);
    add(key.replace('${TYPE}', fileType ?? ''));
  }
  if (fileType && !where.includes('editor')) {
    for (const [, , key] of text.matchAll(GLUE_KEY)) add(`${fileType}.${key}`);
  }
  return uses;
}

describe('message catalogues', () => {
  it('every language has a catalogue and a help file for every node type', () => {
    for (const language of LANGUAGES) {
      for (const type of NODE_TYPES) {
        for (const file of [`${type}.json`, `${type}.html`]) {
          assert.ok(
            fs.existsSync(path.join(root, 'nodes', 'locales', language, file)),
            `${language}/${file} is missing`,
          );
        }
      }
    }
  });

  it('every key of one language is in every other, with the same __placeholders__', () => {
    const [first, ...others] = LANGUAGES;
    const reference = packageCatalogue(first);
    for (const language of others) {
      const catalogue = packageCatalogue(language);
      const missing = leafKeys(reference).filter((key) => typeof lookup(catalogue, key) !== 'string');
      const extra = leafKeys(catalogue).filter((key) => typeof lookup(reference, key) !== 'string');
      assert.deepEqual(missing, [], `${language} lacks keys ${first} has`);
      assert.deepEqual(extra, [], `${language} has keys ${first} lacks`);
      const placeholders = (text: unknown) =>
        [...String(text).matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();
      const different = leafKeys(reference).filter(
        (key) =>
          JSON.stringify(placeholders(lookup(reference, key))) !==
          JSON.stringify(placeholders(lookup(catalogue, key))),
      );
      assert.deepEqual(different, [], `${language} and ${first} fill in different __placeholders__`);
    }
  });

  it('every text a dialog shows is in every language', () => {
    const uses: KeyUse[] = EDITORS.flatMap((editor) =>
      formKeys(editor.type, editor.form).map((key) => ({ key, where: editor.type })),
    );
    for (const editor of EDITORS.filter((e) => e.category !== 'config')) {
      for (const name of ['paletteLabel', 'inputLabel', 'outputLabel'])
        uses.push({ key: `${editor.type}.${name}`, where: editor.type });
    }
    for (const code of SAVED_VERSION_ERROR_CODES) {
      uses.push({ key: `o365-config.version.${code}`, where: 'src/editor/dialog.ts' });
    }
    // A cron problem is worded from its code and field by the dialog (src/editor/cron.ts) and the runtime alike.
    for (const code of Object.values(CronProblemCodes)) {
      uses.push({ key: `o365-mail-in.cron-problem.${code}`, where: 'src/editor/cron.ts' });
    }
    for (const field of QUARTZ_FIELDS) {
      uses.push({ key: `o365-mail-in.cron-field.${field}`, where: 'src/editor/cron.ts' });
    }
    assert.ok(uses.length > 100, `only ${uses.length} keys found in the dialogs`);
    for (const language of LANGUAGES) {
      const missing = uses.filter(({ key }) => typeof resolve(key, language) !== 'string');
      assert.deepEqual(missing, [], `${language} lacks texts the dialogs show`);
    }
  });

  it('every key the runtime and the dialogs name in code is in every language', () => {
    const uses = sourceFiles(path.join(root, 'src')).flatMap(keysUsedIn);
    assert.ok(uses.length > 25, `only ${uses.length} keys found in src/`);
    for (const language of LANGUAGES) {
      const missing = uses.filter(({ key }) => {
        const found = resolve(key.replace(/\.$/, ''), language);
        // A key with a computed end names a group of texts; a whole key names one text.
        return key.endsWith('.') ? typeof found !== 'object' || found === null : typeof found !== 'string';
      });
      assert.deepEqual(missing, [], `${language} lacks keys used in src/`);
    }
  });

  it('the help is Markdown in the house style: tooltip, Inputs, Outputs, Details, References', () => {
    const headings: Record<string, string[]> = {
      'en-US': ['Inputs', 'Outputs', 'Details', 'References'],
      de: ['Eingaben', 'Ausgaben', 'Details', 'Referenzen'],
    };
    for (const language of LANGUAGES) {
      for (const editor of EDITORS) {
        const file = path.join(root, 'nodes', 'locales', language, `${editor.type}.html`);
        const help = fs.readFileSync(file, 'utf8');
        const where = `${language}/${editor.type}.html`;
        assert.match(
          help,
          new RegExp(`^<script type="text/markdown" data-help-name="${editor.type}">\n\\w`),
          where,
        );
        // A config node has no messages: its help starts at Details.
        const expected = headings[language].slice(editor.category === 'config' ? 2 : 0);
        assert.deepEqual(
          [...help.matchAll(/^### (.+)$/gm)].map((m) => m[1]),
          expected,
          where,
        );
        // Node-RED reads a message property only from one line ": name (type) : text" without another colon.
        const properties = help.split('\n').filter((line) => line.startsWith(':'));
        for (const line of properties)
          assert.match(line, /^:[^:]+\([^:]+\)[^:]*:[^:]+$/, `${where}: ${line}`);
        assert.doesNotMatch(
          help,
          /Interlok/,
          `${where}: the Interlok mapping belongs in docs/migrating-from-interlok.md`,
        );
      }
    }
  });
});
