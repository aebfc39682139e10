// Driving the Node-RED editor with playwright-core: palette drag, edit dialogs, deploy, import.
// Functions passed to page.evaluate run in the editor page, where RED and $ (jQuery) are globals.
'use strict';
/* global RED, $, window */
const { check, waitUntil } = require('./harness');

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--no-first-run',
];

/** Launches /usr/bin/chromium and opens the editor; collects page errors, console errors and notifications. */
async function openEditor(chromium, url) {
  // run.js handles signals itself, so that it can stop Node-RED and the simulator too.
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 60000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  // The simulator's sign-in pages (delegated sign-in) are served with its self-signed certificate, which the browser
  // must take as it takes Entra's.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true });
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = (message.location() && message.location().url) || '';
    if (/favicon/.test(where) || /favicon/.test(message.text())) return;
    problems.push(`console error: ${message.text()}${where ? ` (${where})` : ''}`);
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.waitForSelector('#red-ui-workspace-chart', { state: 'visible', timeout: 60000 });
  await waitUntil(
    () => page.evaluate(() => Boolean(window.RED && RED.nodes && RED.nodes.getType('inject'))),
    {
      timeoutMs: 60000,
      what: 'the editor loading its node types',
    },
  );
  // Remember every notification so a step can check that none was an error or warning.
  await page.evaluate(() => {
    window.__notifications = [];
    const notify = RED.notify;
    RED.notify = function (msg, type, ...rest) {
      const level = type && typeof type === 'object' ? type.type : type;
      const text = typeof msg === 'string' ? $('<div>').html(msg).text() : $(msg).text();
      const modal = Boolean(type && typeof type === 'object' && type.modal);
      window.__notifications.push({ type: level || 'info', modal, text });
      return notify.call(this, msg, type, ...rest);
    };
  });
  return { browser, page, problems };
}

/** Notifications shown since the last call. */
async function takeNotifications(page) {
  return page.evaluate(() => window.__notifications.splice(0));
}

/** Drags a node type from the palette onto the workspace at (x, y); returns the new node's id. */
async function dragFromPalette(page, type, filterText, x, y) {
  const before = await nodeIds(page, type);
  // Only palette entries on screen can be dragged, so narrow the palette down first.
  await filterPalette(page, filterText);
  const source = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  const viewport = page.viewportSize();
  let previous = null;
  // The palette animates while it filters: wait until the entry is on screen and stops moving.
  const from = await waitUntil(
    async () => {
      const box = await source.boundingBox();
      const onScreen = box && box.y > 0 && box.y + box.height < viewport.height;
      const settled = onScreen && previous && previous.x === box.x && previous.y === box.y;
      previous = box;
      return settled ? box : null;
    },
    { what: `${type} showing in the filtered palette`, timeoutMs: 5000 },
  );
  const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
  await page.mouse.up();
  await filterPalette(page, '');
  const added = await waitUntil(
    async () => (await nodeIds(page, type)).filter((id) => !before.includes(id)),
    { what: `a ${type} node appearing on the workspace`, timeoutMs: 5000 },
  ).catch(() => []);
  check(added.length === 1, `dragging ${type} from the palette added ${added.length} nodes`);
  return added[0];
}

/** Types into the palette filter (it reacts to key presses, not to a set value). */
async function filterPalette(page, text) {
  const input = page.locator('#red-ui-palette-search input');
  await input.fill('');
  if (text) await input.pressSequentially(text);
  else await input.press('Backspace');
}

function nodeIds(page, type) {
  return page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
}

/** Ids of the config nodes of a type (filterNodes only sees flow nodes). */
function configNodeIds(page, type) {
  return page.evaluate((t) => {
    const ids = [];
    RED.nodes.eachConfig((n) => {
      if (n.type === t) ids.push(n.id);
    });
    return ids;
  }, type);
}

/** Double-clicks a node on the workspace and waits for its edit dialog. */
async function openNodeDialog(page, id) {
  await page.locator(`[id="${id}"] .red-ui-flow-node`).first().dblclick();
  await page.locator('#node-dialog-ok').waitFor({ state: 'visible' });
  await page.locator('.red-ui-tray').last().waitFor({ state: 'visible' });
}

/** Closes every open edit tray (cancel), for a clean state after a failed step. */
async function closeDialogs(page) {
  for (let i = 0; i < 4; i++) {
    const open = await page.locator('.red-ui-tray').count();
    if (!open) return;
    await page.evaluate(() => {
      const cancel = $('#node-config-dialog-cancel:visible, #node-dialog-cancel:visible').first();
      if (cancel.length) cancel.trigger('click');
      else RED.tray.close();
    });
    await page.waitForTimeout(500);
  }
}

/** The visible text box of a TypedInput (Node-RED hides the original input and keeps the value there). */
function typedInputBox(page, prop) {
  return page.locator(`#node-input-${prop} + .red-ui-typedInput-container .red-ui-typedInput-input`);
}

/** Picks a TypedInput's type from its menu, as a user clicks it. */
async function chooseTypedInputType(page, prop, type) {
  await page.click(`#node-input-${prop} + .red-ui-typedInput-container .red-ui-typedInput-type-select`);
  await page.click(`.red-ui-typedInput-options:visible a[value="${type}"]`);
}

/** Ids of the inputs (by prefix) that are not in the dialog. */
async function missingInputs(page, prefix, names) {
  const missing = [];
  for (const name of names) {
    if ((await page.locator(`#${prefix}-${name}`).count()) === 0) missing.push(`#${prefix}-${name}`);
  }
  return missing;
}

/** Compares a fresh dialog's values with SPEC's defaults (checkboxes as booleans); returns differences. */
async function defaultMismatches(page, prefix, defaults) {
  const wrong = [];
  for (const [name, want] of Object.entries(defaults)) {
    const input = page.locator(`#${prefix}-${name}`);
    if ((await input.count()) === 0) continue; // reported as missing elsewhere
    const got = typeof want === 'boolean' ? await input.isChecked() : await input.inputValue();
    if (got !== want) wrong.push(`${name} is ${JSON.stringify(got)}, SPEC default ${JSON.stringify(want)}`);
  }
  return wrong;
}

/** Compares the option values of selects with SPEC's value lists; returns differences. */
async function optionMismatches(page, prefix, lists) {
  const wrong = [];
  for (const [name, want] of Object.entries(lists)) {
    const options = page.locator(`#${prefix}-${name} option`);
    const got = await options.evaluateAll((els) => els.map((el) => el.value));
    if (JSON.stringify([...got].sort()) !== JSON.stringify([...want].sort())) {
      wrong.push(`${name} offers [${got.join(', ')}], SPEC says [${want.join(', ')}]`);
    }
  }
  return wrong;
}

/** True when the element is rendered and visible (its form row is not hidden). */
function isShown(page, selector) {
  return page.locator(selector).first().isVisible();
}

/** Checks which of the given selectors are visible after the change; returns mismatch descriptions. */
async function visibilityMismatches(page, expected, situation) {
  const wrong = [];
  for (const [selector, shouldShow] of Object.entries(expected)) {
    const shown = await isShown(page, selector);
    if (shown !== shouldShow) wrong.push(`${situation}: ${selector} is ${shown ? 'shown' : 'hidden'}`);
  }
  return wrong;
}

/** Closes every open notification (a modal one would block the next steps). */
function closeNotifications(page) {
  return page.evaluate(() =>
    $('.red-ui-notification').each((_, el) => {
      if (typeof el.close === 'function') el.close();
    }),
  );
}

/** Clicks Deploy and waits for the outcome; fails on a confirmation dialog or an error notification. */
async function deploy(page) {
  await takeNotifications(page);
  await page.click('#red-ui-header-button-deploy');
  const outcome = await waitUntil(
    async () => {
      const notes = await page.evaluate(() => window.__notifications.slice());
      // Success, or an error, or a warning such as the "nodes not properly configured" confirmation.
      if (notes.some((n) => n.modal || ['success', 'error', 'warning'].includes(n.type))) return { notes };
      const dialog = page.locator('.ui-dialog:visible');
      if (await dialog.count()) return { dialog: (await dialog.first().innerText()).replace(/\s+/g, ' ') };
      return null;
    },
    { timeoutMs: 30000, what: 'a deploy result' },
  );
  if (outcome.dialog) {
    await page.keyboard.press('Escape');
    throw new Error(`deploy asked for confirmation instead of deploying: ${outcome.dialog}`);
  }
  const bad = outcome.notes.filter((n) => n.modal || n.type === 'error' || n.type === 'warning');
  if (bad.length) {
    await closeNotifications(page);
    throw new Error(
      `deploy notifications: ${bad.map((n) => `${n.modal ? 'asks' : n.type}: ${n.text}`).join(' | ')}`,
    );
  }
  await waitUntil(() => page.evaluate(() => !RED.nodes.dirty()), { what: 'the workspace becoming clean' });
  return outcome.notes;
}

/** Imports a flow as Import > Examples does: on an id conflict, imports a copy (reusing config nodes). */
async function importFlow(page, flow) {
  return page.evaluate((nodes) => {
    const copy = () => JSON.parse(JSON.stringify(nodes));
    try {
      RED.view.importNodes(copy(), { generateIds: false, addFlow: false, notify: false });
      return 'imported';
    } catch (err) {
      if (err.code !== 'import_conflict') throw err;
      RED.view.importNodes(copy(), { generateIds: true, addFlow: false, notify: false });
      return 'imported a copy';
    }
  }, flow);
}

module.exports = {
  openEditor,
  takeNotifications,
  dragFromPalette,
  filterPalette,
  configNodeIds,
  openNodeDialog,
  closeDialogs,
  missingInputs,
  defaultMismatches,
  optionMismatches,
  typedInputBox,
  chooseTypedInputType,
  isShown,
  visibilityMismatches,
  deploy,
  importFlow,
};
