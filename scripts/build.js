#!/usr/bin/env node
// Builds the package:
// - src/**/*.ts (but src/editor/) into nodes/*.js, and copies icons/ there, because Node-RED looks for X.html,
//   icons/ and locales/ in the folder of each node's .js;
// - src/editor/ (the dialogs, in the browser) into one script, resources/o365-editor.js, with its stylesheet:
//   Node-RED serves a module's resources/ folder at resources/<module>/;
// - nodes/<type>.html, each node's editor file, from its editor in src/editor/ (src/editor/page.ts).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const nodesDir = path.join(root, 'nodes');

const resourcesDir = path.join(root, 'resources');
const editorDir = path.join(root, 'src', 'editor');

function removeBuiltFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'locales') removeBuiltFiles(full);
    } else if (entry.name.endsWith('.js') || (dir === nodesDir && entry.name.endsWith('.html'))) {
      fs.rmSync(full);
    }
  }
}

/** The editor script for the browser: one file, no module loader needed. */
function buildEditorScript(esbuild) {
  esbuild.buildSync({
    entryPoints: [path.join(editorDir, 'index.ts')],
    outfile: path.join(resourcesDir, 'o365-editor.js'),
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(editorDir, 'o365-editor.css'), path.join(resourcesDir, 'o365-editor.css'));
}

/** nodes/<type>.html for every editor, written by src/editor/page.ts run here in Node.js. */
function writeNodeFiles(esbuild) {
  const { outputFiles } = esbuild.buildSync({
    stdin: {
      contents: "export { renderNodeFile } from './page';\nexport { EDITORS } from './nodes';\n",
      resolveDir: editorDir,
      loader: 'ts',
    },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'warning',
  });
  const pages = new module.constructor();
  pages._compile(outputFiles[0].text, path.join(editorDir, 'pages.js'));
  for (const editor of pages.exports.EDITORS) {
    fs.writeFileSync(path.join(nodesDir, `${editor.type}.html`), pages.exports.renderNodeFile(editor));
  }
}

removeBuiltFiles(nodesDir);
fs.rmSync(resourcesDir, { recursive: true, force: true });
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  console.error('build: TypeScript is not installed; run "npm install" (it installs devDependencies) first.');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status || 1);

let esbuild;
try {
  esbuild = require(require.resolve('esbuild', { paths: [root] }));
} catch {
  console.error('build: esbuild is not installed; run "npm install" (it installs devDependencies) first.');
  process.exit(1);
}
fs.mkdirSync(resourcesDir, { recursive: true });
buildEditorScript(esbuild);
writeNodeFiles(esbuild);

const iconsOut = path.join(nodesDir, 'icons');
fs.rmSync(iconsOut, { recursive: true, force: true });
fs.cpSync(path.join(root, 'icons'), iconsOut, { recursive: true });
console.error('build: nodes/ is ready');
