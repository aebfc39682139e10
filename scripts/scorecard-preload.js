// Preloaded (`node --require`) into `node-red-dev validate` by scripts/scorecard.js.
// validate reads https://catalogue.nodered.org/catalogue.json for its N01 (unique node types) and
// P08 (similar package names) checks; when that host is unreachable (offline CI) the whole run
// aborts. This answers that one request from SCORECARD_CATALOGUE (a saved catalogue.json), else
// from the real site, else with an empty catalogue, and writes which one to SCORECARD_CATALOGUE_STATUS.
// Every other request (the npm registry) goes through untouched.
'use strict';
const fs = require('fs');
const path = require('path');

const CATALOGUE_URL = 'https://catalogue.nodered.org/catalogue.json';

// node-red-dev carries its own axios 0.21; patch the copy its libs load, not ours.
const validateLibs = path.join(path.dirname(require.resolve('node-red-dev/package.json')), 'src', 'libs');
const axios = require(require.resolve('axios', { paths: [validateLibs] }));
const originalGet = axios.get;

function reportCatalogue(status) {
  if (process.env.SCORECARD_CATALOGUE_STATUS)
    fs.writeFileSync(process.env.SCORECARD_CATALOGUE_STATUS, status);
}

async function fetchCatalogue(args) {
  const saved = process.env.SCORECARD_CATALOGUE;
  if (saved) {
    reportCatalogue(`file ${saved}`);
    return { status: 200, data: JSON.parse(fs.readFileSync(saved, 'utf8')) };
  }
  try {
    const response = await originalGet.call(axios, CATALOGUE_URL, { ...args[0], timeout: 10000 });
    reportCatalogue('online');
    return response;
  } catch (err) {
    reportCatalogue(`stubbed (${err.code || err.message})`);
    return { status: 200, data: { modules: [] } };
  }
}

let catalogue;
axios.get = function getWithOfflineCatalogue(url, ...args) {
  if (url !== CATALOGUE_URL) return originalGet.call(this, url, ...args);
  catalogue = catalogue || fetchCatalogue(args);
  return catalogue;
};
