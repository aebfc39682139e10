/**
 * The Fidelity tables of README.md stay honest: every row names a source and at least one test, and every test it names
 * exists (a title `it(...)` or `describe(...)` in the named file). A renamed or deleted test fails here, not in a review.
 * Names may be shortened with "…" (the pieces must appear in order in one title); `${...}` in a template title counts
 * as "…".
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const README = fs.readFileSync(path.join(__dirname, 'README.md'), 'utf8');

interface Table {
  heading: string;
  /** File of a name given without an abbreviation. */
  defaultFile?: string;
  /** Abbreviations of the test column (as the table's header or preface defines them). */
  files: Record<string, string>;
}

const MAIN_FILES = {
  fr: 'fidelity-receive.test.ts',
  fs: 'fidelity-send.test.ts',
  fa: 'fidelity-action.test.ts',
  fn: 'fidelity-answer.test.ts',
  m: 'messages.test.ts',
  bd: 'batch-delta.test.ts',
  s: 'send.test.ts',
  f: 'faults.test.ts',
  i: 'identity.test.ts',
};

const TABLES: Table[] = [
  { heading: '## Fidelity\n', files: MAIN_FILES },
  {
    heading: '### Fidelity of change notifications\n',
    defaultFile: 'subscriptions.test.ts',
    files: {},
  },
  { heading: '### Fidelity of delegated sign-in\n', files: { d: 'delegated.test.ts' } },
];

/** The rows of the table under `heading` (up to the next heading): [behaviour, source, tests]. */
function rowsOf(heading: string): string[][] {
  const start = README.indexOf(heading);
  assert.ok(start >= 0, `README.md has "${heading.trim()}"`);
  const rest = README.slice(start + heading.length);
  const end = rest.search(/\n#{2,3} /);
  return (end < 0 ? rest : rest.slice(0, end))
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| behaviour'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

/** Test and suite titles of a test file, with `${...}` turned into "…". */
const titles = new Map<string, string[]>();
function titlesOf(file: string): string[] {
  let found = titles.get(file);
  if (found) return found;
  const text = fs.readFileSync(path.join(__dirname, file), 'utf8');
  found = [];
  const re = /\b(?:it|describe)\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.)*)`)/g;
  for (const m of text.matchAll(re)) {
    const raw = m[1] ?? m[2] ?? m[3] ?? '';
    found.push(raw.replace(/\\(.)/g, '$1').replace(/\$\{[^}]*\}/g, '…'));
  }
  titles.set(file, found);
  return found;
}

/** Whether a name from the table (pieces joined by "…") matches a title: each piece in it, in order. */
function matches(name: string, title: string): boolean {
  const pieces = name
    .split('…')
    .map((p) => p.trim().replace(/^[,;.]\s*/, ''))
    .filter((p) => p !== '');
  let at = 0;
  for (const piece of pieces) {
    const found = title.indexOf(piece, at);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

/** The test names of a test cell, each with its file: `fr "a…", "b"; s "c"`. */
function namesIn(cell: string, table: Table): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  let file = table.defaultFile;
  const re = /(?:^|[\s;,(])([a-z]{1,2})\s+(?="|`)|"((?:[^"\\]|\\")+)"|`([\w.-]+\.test\.ts)`/g;
  for (const m of cell.matchAll(re)) {
    if (m[1]) {
      file = table.files[m[1]];
      assert.ok(file, `unknown test file abbreviation "${m[1]}" in: ${cell}`);
    } else if (m[3]) {
      file = m[3];
    } else if (m[2]) {
      assert.ok(file, `no test file for "${m[2]}" in: ${cell}`);
      out.push({ file, name: m[2].replace(/\\"/g, '"') });
    }
  }
  return out;
}

describe('simulator README: the Fidelity tables', () => {
  for (const table of TABLES) {
    it(`every row of "${table.heading.trim().replace(/^#+ /, '')}" has a source and tests that exist`, () => {
      const problems: string[] = [];
      const rows = rowsOf(table.heading);
      assert.ok(rows.length > 5, 'the table has rows');
      for (const cells of rows) {
        const [behaviour, source, tests] = cells;
        if (/^\*\*.*\*\*$/.test(behaviour)) continue; // a group heading
        const short = behaviour.slice(0, 70);
        if (cells.length < 3) {
          problems.push(`${short}: not three columns`);
          continue;
        }
        if (!source) problems.push(`${short}: no source`);
        if (tests === '-' && /not modelled/i.test(behaviour)) continue; // a stated gap, not a behaviour
        const named = namesIn(tests, table);
        const wholeFile = /\b[\w-]+\.test\.ts\b/.test(tests) && named.length === 0;
        if (named.length === 0 && !wholeFile && !/\(all\)/.test(tests)) {
          problems.push(`${short}: names no test (${tests})`);
        }
        for (const { file, name } of named) {
          if (!fs.existsSync(path.join(__dirname, file))) {
            problems.push(`${short}: ${file} does not exist`);
          } else if (!titlesOf(file).some((title) => matches(name, title))) {
            problems.push(`${short}: no test "${name}" in ${file}`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
