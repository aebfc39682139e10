#!/usr/bin/env node
// The Flow Library scorecard, offline: packs the project as `npm publish` would, runs
// `node-red-dev validate` on the unpacked package (with scripts/scorecard-preload.js, because
// catalogue.nodered.org may be unreachable), prints every check and exits 1 when one fails.
// validate exits 0 even on failures and is blind to a few things (unparseable editor HTML makes
// N02 pass with no nodes; P05 always passes), so a few checks of our own (S..) run beside it.
//
// Usage: node scripts/scorecard.js [--dir] [--output scorecard.json] [--allow D03,...]
//   --dir     validate the working tree instead of the packed tarball
//   --output  also write validate's JSON there
//   --allow   checks whose failure is a known, accepted decision: reported as WARN, not failed
// Env: SCORECARD_CATALOGUE=<catalogue.json> checks N01/P08 against a saved catalogue.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const VALIDATE_TIMEOUT_MS = 180000;

/** What each of node-red-dev's checks means, in the order the Flow Library shows them. */
const VALIDATE_CHECKS = {
  P01: 'package.json declares a license',
  P03: 'package.json has a repository or bugs URL',
  P04: 'package name is scoped or otherwise valid',
  P05: 'keywords contain "node-red"',
  P06: 'node-red.version is compatible with a current Node-RED',
  P07: 'engines.node is compatible with the Node.js Node-RED needs',
  P08: 'no similarly named package in the Flow Library',
  N01: 'node types are unique in the Flow Library',
  N02: 'an example flow uses every node',
  D01: 'at most 6 dependencies',
  D02: 'no known incompatible package in the dependency tree',
  D03: 'dependencies are at their latest version',
};
const CATALOGUE_CHECKS = ['N01', 'P08'];

function parseArgs(argv) {
  const args = { dir: false, output: '', allow: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dir') args.dir = true;
    else if (argv[i] === '--output') args.output = path.resolve(argv[++i] || '');
    else if (argv[i] === '--allow')
      args.allow = String(argv[++i] || '')
        .split(',')
        .filter(Boolean);
    else {
      console.error(`scorecard: unknown argument "${argv[i]}" (use --dir, --output <file>, --allow <ids>)`);
      process.exit(2);
    }
  }
  return args;
}

function run(command, args, options) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  return result;
}

/** Packs the project without lifecycle scripts (the build has run) and unpacks it; returns its folder. */
function packProject(workDir) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], {
    cwd: root,
  });
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  // Anything a lifecycle script printed comes before npm's JSON answer.
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m)));
  const untar = run('tar', ['-xzf', path.join(workDir, info.filename), '-C', workDir]);
  if (untar.status !== 0) throw new Error(`tar failed:\n${untar.stderr}`);
  return path.join(workDir, 'package');
}

function runValidate(packageDir, workDir) {
  const output = path.join(workDir, 'scorecard.json');
  const catalogueStatus = path.join(workDir, 'catalogue-status');
  const validateBin = path.join(path.dirname(require.resolve('node-red-dev/package.json')), 'bin', 'run');
  const preload = path.join(__dirname, 'scorecard-preload.js');
  const result = run(
    process.execPath,
    ['--require', preload, validateBin, 'validate', '-p', packageDir, '-o', output],
    {
      cwd: root,
      timeout: VALIDATE_TIMEOUT_MS,
      env: { ...process.env, SCORECARD_CATALOGUE_STATUS: catalogueStatus },
    },
  );
  const log = `${result.stdout}\n${result.stderr}`;
  if (!fs.existsSync(output)) {
    throw new Error(`node-red-dev validate wrote no scorecard (exit ${result.status}):\n${log}`);
  }
  const catalogue = fs.existsSync(catalogueStatus) ? fs.readFileSync(catalogueStatus, 'utf8') : 'not read';
  return { scorecard: JSON.parse(fs.readFileSync(output, 'utf8')), log, catalogue, output };
}

function describeDetails(entry) {
  const details = Object.entries(entry)
    .filter(([key]) => key !== 'test')
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') || '-' : value}`);
  return details.length ? ` (${details.join('; ')})` : '';
}

/** Our own checks, for what validate cannot see or gets wrong. */
function ownChecks(packageDir, validateLog) {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const nodeFiles = Object.values((pkg['node-red'] && pkg['node-red'].nodes) || {});
  const missing = (files) => files.filter((file) => !fs.existsSync(path.join(packageDir, file)));
  const examplesDir = path.join(packageDir, 'examples');
  const examples = fs.existsSync(examplesDir)
    ? fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'))
    : [];
  const badExamples = examples.filter((file) => {
    try {
      return !Array.isArray(JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')));
    } catch {
      return true;
    }
  });
  const unparsed = nodeFiles.filter((file) => validateLog.includes(`Unable to parse  ${file}`));
  const lacking = (list) => (list.length ? list.join(', ') : '');
  return [
    ['S01', 'the package declares node files', nodeFiles.length > 0 ? '' : 'node-red.nodes is empty'],
    ['S02', 'every node .js is in the package (built)', lacking(missing(nodeFiles))],
    [
      'S03',
      'every node .html is in the package',
      lacking(missing(nodeFiles.map((f) => f.replace(/\.js$/, '.html')))),
    ],
    ['S04', 'validate could read every editor .html', lacking(unparsed)],
    [
      'S05',
      'keywords contain "node-red" (validate P05 never fails)',
      (pkg.keywords || []).includes('node-red') ? '' : 'missing',
    ],
    ['S06', 'README.md and LICENSE are in the package', lacking(missing(['README.md', 'LICENSE']))],
    [
      'S07',
      'examples are in the package and each is a JSON array of nodes',
      examples.length ? lacking(badExamples) : 'no examples/*.json',
    ],
  ];
}

function printReport({ scorecard, catalogue }, own, allow) {
  let failed = 0;
  const line = (ok, id, text, detail) => {
    const allowed = !ok && allow.includes(id);
    if (!ok && !allowed) failed++;
    console.log(
      `${ok ? 'PASS' : allowed ? 'WARN' : 'FAIL'}  ${id}  ${text}${detail}${allowed ? ' [allowed]' : ''}`,
    );
  };
  console.log(`Flow Library scorecard for ${scorecard.package.name}@${scorecard.package.version}`);
  console.log(`catalogue.nodered.org: ${catalogue}`);
  for (const [id, text] of Object.entries(VALIDATE_CHECKS)) {
    const entry = scorecard[id];
    if (!entry) {
      line(false, id, text, ' (not run: validate stopped before it)');
    } else if (CATALOGUE_CHECKS.includes(id) && catalogue.startsWith('stubbed')) {
      console.log(
        `SKIP  ${id}  ${text} (no catalogue offline; set SCORECARD_CATALOGUE to a saved catalogue.json)`,
      );
    } else {
      line(entry.test === true, id, text, describeDetails(entry));
    }
  }
  for (const [id, text, problem] of own) line(!problem, id, text, problem ? ` (${problem})` : '');
  return failed;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-scorecard-'));
  try {
    const packageDir = args.dir ? root : packProject(workDir);
    const result = runValidate(packageDir, workDir);
    if (args.output) fs.copyFileSync(result.output, args.output);
    const failed = printReport(result, ownChecks(packageDir, result.log), args.allow);
    if (failed) {
      console.log(`\n${failed} check(s) failed. node-red-dev said:\n${result.log.trim()}`);
      return 1;
    }
    console.log('\nAll scorecard checks passed.');
    return 0;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`scorecard: ${err.message}`);
  process.exitCode = 1;
}
