#!/usr/bin/env node
// Builds src/*.ts into nodes/*.js (beside the editor .html files) and copies icons/ there,
// because Node-RED looks for X.html, icons/ and locales/ in the folder of each node's .js.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const nodesDir = path.join(root, 'nodes');

function removeBuiltFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'locales') removeBuiltFiles(full);
    } else if (entry.name.endsWith('.js')) {
      fs.rmSync(full);
    }
  }
}

removeBuiltFiles(nodesDir);
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

const iconsOut = path.join(nodesDir, 'icons');
fs.rmSync(iconsOut, { recursive: true, force: true });
fs.cpSync(path.join(root, 'icons'), iconsOut, { recursive: true });
console.error('build: nodes/ is ready');
