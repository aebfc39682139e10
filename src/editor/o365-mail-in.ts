/** The o365-mail-in editor: polls one mailbox folder, one output message per mail. */
import { askRuntime, CronAnswer, cronProblemWords, knownAnswer } from './cron';
import { currentValue, NodeEditor } from './dialog';
import { field, FormValue, hint, nameRow, section } from './form';
import { EditorNode, Validator } from './red';
import { accountAndMailbox, defaultToOwnMailbox, MAIL_NODE, oneOf, readOptions } from './mail-nodes';
import { publicUrlOf, showNotificationUrl, stopNotificationUrl } from './push';
import { isFolderPath, isMailbox, textOf } from './rules';

const TYPE = 'o365-mail-in';
const PREFIX = 'node-input';

const shown = (node: EditorNode, prop: string) => currentValue(node, PREFIX, prop);

/** Re-checks the node once the runtime has answered about its cron expression. */
function revalidate(node: EditorNode): void {
  const input = $(`#${PREFIX}-cron`);
  if (input.length) input.trigger('change');
  if (!node.id) return; // a check outside any node (an import being read)
  RED.editor.validateNode(node);
  RED.view.redraw();
}

const validateCron: Validator = function (value) {
  if (shown(this, 'pollType') !== 'cron') return true;
  const expression = textOf(value);
  const answer = knownAnswer(expression);
  if (!answer) {
    // Valid until the runtime says otherwise; a runtime that cannot be asked leaves the check to deploy time.
    askRuntime(expression).then(
      () => revalidate(this),
      () => undefined,
    );
    return true;
  }
  return answer.valid ? true : this._(`${TYPE}.invalid.cron`, { error: cronProblemWords(this, answer) });
};

let nextRunsTimer: ReturnType<typeof setTimeout> | undefined;
let nextRunsRequest = 0;

function showAnswer(node: EditorNode, output: JQuery, answer: CronAnswer): void {
  output.empty();
  if (!answer.valid) {
    $('<span class="o365-fail">')
      .text(node._(`${TYPE}.invalid.cron`, { error: cronProblemWords(node, answer) }))
      .appendTo(output);
    return;
  }
  output.text(`${node._(`${TYPE}.tip.cron-next`)} `);
  (answer.next ?? []).forEach((iso, index) => {
    $('<span>')
      .text((index ? ' · ' : '') + new Date(iso).toLocaleString())
      .appendTo(output);
  });
}

/** Asks the runtime for the next 3 runs, at most once per pause in typing. */
function showNextRuns(node: EditorNode, value: FormValue): void {
  if (nextRunsTimer) clearTimeout(nextRunsTimer);
  const output = $('#o365-mail-in-cron-next');
  const expression = textOf(value('cron'));
  const request = ++nextRunsRequest;
  if (value('pollType') !== 'cron' || expression === '') {
    output.empty();
    return;
  }
  output.text(node._(`${TYPE}.tip.cron-checking`));
  nextRunsTimer = setTimeout(() => {
    askRuntime(expression).then(
      (answer) => {
        if (request === nextRunsRequest) showAnswer(node, output, answer);
      },
      (err: Error) => {
        if (request === nextRunsRequest)
          output.text(node._(`${TYPE}.tip.cron-unchecked`, { status: err.message }));
      },
    );
  }, 500);
}

function stopNextRuns(): void {
  if (nextRunsTimer) clearTimeout(nextRunsTimer);
  nextRunsRequest++;
}

/** The safety-net interval a push node gets when the interval is still polling's default. */
const PUSH_INTERVAL = '900';
const POLL_INTERVAL = '300';

/** pollType push: the URL Graph will call for this node, or why there is none (no public URL in the account...). */
function showPushUrl(node: EditorNode, value: FormValue): void {
  if (value('pollType') !== 'push') return;
  const output = $('#o365-mail-in-push-url');
  const publicUrl = publicUrlOf(value('account'));
  if (!publicUrl) {
    output.text(node._(`${TYPE}.tip.push-no-url`));
    return;
  }
  showNotificationUrl(node, output, publicUrl, node.id, {
    url: `${TYPE}.tip.push-url`,
    none: `${TYPE}.tip.push-none`,
  });
}

const isAction = (action: string) => (value: FormValue) => value('action') === action;
const keepsMail = (value: FormValue) => value('action') !== 'none';
const pollsBy = (pollType: string) => (value: FormValue) => value('pollType') === pollType;
const deliversMessages = (value: FormValue) => value('output') !== 'mime';
const searching = (value: FormValue) => textOf(value('search')) !== '';

const mailbox = accountAndMailbox('text', function (value) {
  return isMailbox(value) ? true : this._(`${TYPE}.invalid.username`);
});

export const mailInEditor: NodeEditor = {
  type: TYPE,
  ...MAIL_NODE,
  icon: 'o365-mail-in.svg',
  defaults: {
    ...mailbox.defaults,
    folder: {
      value: 'inbox',
      validate(value) {
        return isFolderPath(value) ? true : this._(`${TYPE}.invalid.folder`);
      },
    },
    filter: { value: 'isRead eq false' },
    search: { value: '' },
    action: { value: 'read', validate: oneOf(['read', 'delete', 'move', 'none'], `${TYPE}.invalid.action`) },
    moveTo: {
      value: '',
      validate(value) {
        if (shown(this, 'action') !== 'move') return true;
        return textOf(value) !== '' ? true : this._(`${TYPE}.invalid.moveTo`);
      },
    },
    claim: { value: false },
    claimFolder: {
      value: '',
      validate(value) {
        return textOf(value) === '' || isFolderPath(value) ? true : this._(`${TYPE}.invalid.claimFolder`);
      },
    },
    pollType: {
      value: 'cron',
      validate: oneOf(['cron', 'interval', 'manual', 'push'], `${TYPE}.invalid.pollType`),
    },
    cron: { value: '0 */5 * * * ?', validate: validateCron },
    interval: {
      value: 300,
      validate(value) {
        if (!['interval', 'push'].includes(String(shown(this, 'pollType')))) return true;
        const text = textOf(value);
        return text !== '' && Number(text) > 0 && Number.isFinite(Number(text))
          ? true
          : this._(`${TYPE}.invalid.interval`);
      },
    },
    pollOnStart: { value: true },
    maxMessages: {
      value: 100,
      validate(value) {
        return /^\s*\d+\s*$/.test(String(value)) ? true : this._(`${TYPE}.invalid.maxMessages`);
      },
    },
    ...readOptions(TYPE),
  },
  form: [
    ...mailbox.form,
    section('fetch'),
    field('folder', 'text', 'folder-open-o'),
    field('search', 'text', 'search'),
    field('filter', 'text', 'filter'),
    hint('search', { id: 'o365-mail-in-search-tip', warning: true, when: searching }),
    field('maxMessages', 'number', 'sort-numeric-asc', { unit: 'mails' }),
    section('when'),
    field('pollType', 'select', 'clock-o', { options: ['cron', 'interval', 'manual', 'push'] }),
    hint('push', { when: pollsBy('push') }),
    hint(undefined, { id: 'o365-mail-in-push-url', live: true, when: pollsBy('push') }),
    field('cron', 'text', 'calendar', { monospace: true, when: pollsBy('cron') }),
    hint('cron', { when: pollsBy('cron') }),
    hint(undefined, { id: 'o365-mail-in-cron-next', live: true, when: pollsBy('cron') }),
    field('interval', 'number', 'repeat', {
      unit: 'seconds',
      when: (value) => pollsBy('interval')(value) || pollsBy('push')(value),
    }),
    hint('push-interval', { when: pollsBy('push') }),
    field('pollOnStart', 'checkbox', undefined),
    section('after'),
    field('action', 'select', 'check-square-o', { options: ['read', 'delete', 'move', 'none'] }),
    field('moveTo', 'text', 'share', { when: isAction('move') }),
    hint('none', { when: isAction('none') }),
    field('claim', 'checkbox', 'lock', { text: 'claim', when: keepsMail }),
    field('claimFolder', 'text', 'folder-o', {
      when: (value) => keepsMail(value) && value('claim') === true,
    }),
    section('output'),
    field('output', 'select', 'sign-out', { options: ['message', 'mime'] }),
    field('bodyFormat', 'select', 'file-text-o', { options: ['text', 'html'], when: deliversMessages }),
    field('attachments', 'checkbox', undefined, { when: deliversMessages }),
    ...nameRow(),
  ],
  label() {
    if (!this.username) return this._(`${TYPE}.paletteLabel`);
    const folder = textOf(this.folder);
    return folder && folder.toLowerCase() !== 'inbox'
      ? `${this.username} / ${folder}`
      : String(this.username);
  },
  prepare(node, value) {
    const nextRuns = () => showNextRuns(node, value);
    $(`#${PREFIX}-cron`).on('change keyup input', nextRuns);
    $(`#${PREFIX}-pollType`).on('change', nextRuns);
    nextRuns();
    defaultToOwnMailbox(node, false);
    const pushUrl = () => showPushUrl(node, value);
    $(`#${PREFIX}-pollType`).on('change', () => {
      // Push needs polls only as a safety net: polling's default interval becomes push's.
      const interval = $(`#${PREFIX}-interval`);
      if (value('pollType') === 'push' && textOf(interval.val()) === POLL_INTERVAL)
        interval.val(PUSH_INTERVAL);
      pushUrl();
    });
    $(`#${PREFIX}-account`).on('change', pushUrl);
    pushUrl();
  },
  close() {
    stopNextRuns();
    stopNotificationUrl();
  },
};
