/**
 * Comments name real files: every repository path (`src/...`, `docs/...`, `test/...`) and every `name.ts` a file in
 * src/ mentions exists, and none points at documents outside the repository (the team's spec or the Interlok notes).
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const TOP_FOLDERS = ['src', 'test', 'docs', 'nodes', 'examples', 'bench', 'scripts', 'resources', 'icons'];

function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesBelow(full);
    return [full];
  });
}

const sources = filesBelow(path.join(root, 'src')).filter((file) => file.endsWith('.ts'));
const basenames = new Set(
  ['src', 'test', 'scripts', 'bench']
    .flatMap((dir) => filesBelow(path.join(root, dir)))
    .map((f) => path.basename(f)),
);

describe('comments name real files', () => {
  it('every repository path and every .ts file named in src/ exists', () => {
    const paths = new RegExp(
      `(?<![\\w@/.-])((?:${TOP_FOLDERS.join('|')})/[\\w./-]+\\.(?:ts|js|md|json|html|css))`,
      'g',
    );
    const missing: string[] = [];
    for (const file of sources) {
      const text = fs.readFileSync(file, 'utf8');
      const where = path.relative(root, file);
      for (const [, named] of text.matchAll(paths)) {
        if (!fs.existsSync(path.join(root, named))) missing.push(`${where}: ${named}`);
      }
      for (const [, name] of text.matchAll(/(?<![\w/.-])([a-z][\w-]*\.ts)\b/g)) {
        if (!basenames.has(name)) missing.push(`${where}: ${name}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('no comment points at a document outside the repository', () => {
    const outside = sources.filter((file) =>
      /\bSPEC\b|INTERLOK\.md|\/work\//.test(fs.readFileSync(file, 'utf8')),
    );
    assert.deepEqual(
      outside.map((file) => path.relative(root, file)),
      [],
    );
  });
});
