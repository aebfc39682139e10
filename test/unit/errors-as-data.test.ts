/**
 * Errors carry data: no code in src/ decides anything by running a regular expression over an error's text. The
 * TypeScript parser finds every `.test(`, `.exec(`, `.match(`, `.matchAll(`, `.search(`, `.replace(` and
 * `new RegExp(` whose subject is an error's message, hint or an error itself.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import * as codes from '../../src/graph/error-codes';

const SRC = path.resolve(__dirname, '../../src');

/** What reads like an error's text: `err`, `error`, `.message`, `.hint`, `serviceMessage`, `messageOf(...)`. */
const ERROR_TEXT =
  /\b(err|error|e|message|errorMessage|serviceMessage|errorDescription|error_description|description|hint|stack)\b|messageOf\(/;

/**
 * The only places allowed to read a text, each because the text is not ours and carries no code:
 * - Graph answers an application access policy denial with the same 403 ErrorAccessDenied as a missing permission;
 *   only its message says "[RAOP] ... AccessPolicy" (src/graph/errors.ts);
 * - croner's parse errors start with "CronPattern: ", which is cut off before the text reaches a user; nothing is
 *   decided by it (src/schedule.ts);
 * - a sign-in redirect carries its AADSTS number only at the start of `error_description` (the token endpoint's JSON
 *   has `error_codes`, the redirect has not) (src/graph/sign-in.ts).
 */
const ALLOWED = new Set([
  'graph/errors.ts:deniedByAccessPolicy',
  'schedule.ts:cronError',
  'graph/sign-in.ts:aadstsOfRedirect',
]);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function enclosingFunction(node: ts.Node): string {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name) return n.name.getText();
    if (ts.isVariableDeclaration(n) && n.initializer && ts.isArrowFunction(n.initializer))
      return n.name.getText();
  }
  return '(module)';
}

function isRegex(node: ts.Node | undefined): boolean {
  if (!node) return false;
  if (ts.isRegularExpressionLiteral(node)) return true;
  if (ts.isNewExpression(node) && node.expression.getText() === 'RegExp') return true;
  return ts.isIdentifier(node) && /^[A-Z][A-Z_]*$/.test(node.text); // a named pattern constant
}

/** Every place in a file where a regular expression runs over an error's text. */
function regexOverErrorText(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    let subject: ts.Node | undefined;
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const receiver = node.expression.expression;
      if ((method === 'test' || method === 'exec') && isRegex(receiver)) subject = node.arguments[0];
      if (
        ['match', 'matchAll', 'search', 'replace', 'replaceAll'].includes(method) &&
        isRegex(node.arguments[0])
      ) {
        subject = receiver;
      }
    }
    if (ts.isNewExpression(node) && node.expression.getText() === 'RegExp') subject = node.arguments?.[0];
    if (subject && ERROR_TEXT.test(subject.getText())) {
      const where = `${rel}:${enclosingFunction(node)}`;
      if (!ALLOWED.has(where)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        found.push(`src/${rel}:${line} ${node.getText().slice(0, 100)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('errors carry data', () => {
  it('no code in src/ runs a regular expression over an error message', () => {
    const found = sourceFiles(SRC).flatMap(regexOverErrorText);
    assert.deepEqual(found, [], `decide by err.code, err.reason or a field instead:\n${found.join('\n')}`);
  });

  it('the check finds the patterns it is meant to find', () => {
    const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'errors-as-data-')), 'probe.ts');
    const samples = [
      'if (/not found/.test(err.message)) x();',
      'const m = /\\(looking for "(.*)"\\)/.exec(error.hint ?? \'\');',
      "s = err.message.replace(/; nothing was sent$/, '');",
      'if (String(e.message).match(/timeout/i)) y();',
      'new RegExp(err.message);',
      "const n = /^AADSTS(\\d+)/.exec(answer.errorDescription ?? '')?.[1];",
    ];
    try {
      fs.writeFileSync(probe, samples.join('\n'));
      assert.equal(regexOverErrorText(probe).length, samples.length);
    } finally {
      fs.rmSync(path.dirname(probe), { recursive: true, force: true });
    }
  });
});

/** Every code value src/graph/error-codes.ts defines (Graph's, Entra's, msal's, OAuth's and the package's own). */
function codeValues(): Set<string> {
  const values = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') values.add(value);
    else if (Array.isArray(value)) value.forEach(add);
    else if (value && typeof value === 'object') Object.values(value).forEach(add);
  };
  Object.values(codes).forEach(add);
  return values;
}

/** The string literals of a file (not types, not comments) that spell an error code out. */
function spelledOutCodes(file: string, known: Set<string>): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isLiteralTypeNode(node) || ts.isImportDeclaration(node)) return;
    // A class's name ("TokenError") is not a code; a plain word ("cancel") may be anything.
    if (ts.isStringLiteral(node) && known.has(node.text) && /[A-Z_]|^\d{4,}$/.test(node.text)) {
      const isName = ts.isBinaryExpression(node.parent) && node.parent.left.getText() === 'this.name';
      if (isName) return;
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push(`src/${rel}:${line} '${node.text}'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('every error code lives in src/graph/error-codes.ts', () => {
  it('no other file in src/ spells a code out (Graph, AADSTS, msal, OAuth or our own)', () => {
    const known = codeValues();
    assert.ok(known.size > 80, `only ${known.size} codes found`);
    const found = sourceFiles(SRC)
      .filter((file) => path.basename(file) !== 'error-codes.ts')
      .flatMap((file) => spelledOutCodes(file, known));
    assert.deepEqual(found, [], `use the constant of src/graph/error-codes.ts instead:\n${found.join('\n')}`);
  });
});
