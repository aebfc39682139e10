/** The config dialog's "Test connection": sends what the dialog holds to POST o365-config/test and shows the answer. */
import { usesOf } from './delegated';
import { EditorNode } from './red';

const PREFIX = 'node-config-input';
/** What Node-RED puts in a password field that the user did not change; the runtime then uses the stored secret. */
const UNCHANGED_SECRET = '__PWRD__';

interface Problem {
  ok?: boolean;
  code?: string;
  message?: string;
  hint?: string;
}

/** The answer of the o365-config/test endpoint (src/graph/diagnose.ts). */
interface TestAnswer {
  error?: string;
  token?: Problem & { expiresOn?: string };
  roles?: string[];
  checks?: Array<{ ok?: boolean; need?: string; permission?: string }>;
  mailbox?: Problem & { address?: string };
  /** A delegated account: who signed in, what is granted, and what the nodes need. */
  delegated?: {
    user?: { username?: string; name?: string };
    permissions?: string[];
    needs?: Array<{ permission: string; because: string[]; granted: boolean }>;
  };
  /** The public URL's answer to Graph's validation request (src/push/probe.ts). */
  push?: { ok?: boolean; url?: string; ms?: number; problem?: string; detail?: string };
}

type Redact = (text: unknown) => string;

const valueOf = (prop: string) => String($(`#${PREFIX}-${prop}`).val() ?? '');

/** What the dialog holds now, in the shape the endpoint takes. */
function requestBody(node: EditorNode, settings: readonly string[]): Record<string, unknown> {
  const body: Record<string, unknown> = { id: node.id };
  for (const prop of settings) body[prop] = valueOf(prop).trim();
  body.credentials = {
    clientSecret: valueOf('clientSecret'),
    privateKey: valueOf('privateKey'),
    certificate: valueOf('certificate'),
  };
  const mailbox = valueOf('testMailbox').trim();
  if (mailbox) body.mailbox = mailbox;
  body.uses = usesOf(node);
  return body;
}

/** One line with a tick or a cross; text only, never HTML from the answer. */
function resultLine(
  ok: boolean,
  text: string,
  details: Array<{ code?: string; text?: string } | null> = [],
): JQuery {
  const line = $('<div>');
  $('<i>')
    .addClass(ok ? 'fa fa-check o365-ok' : 'fa fa-times o365-fail')
    .css('width', '16px')
    .appendTo(line);
  $('<span>').text(` ${text}`).appendTo(line);
  for (const detail of details) {
    if (!detail) continue;
    const row = $('<div class="o365-detail">');
    if (detail.code) $('<code>').text(detail.code).appendTo(row);
    if (detail.text)
      $('<span>')
        .text(`${detail.code ? ' ' : ''}${detail.text}`)
        .appendTo(row);
    row.appendTo(line);
  }
  return line;
}

/** Graph's code, message and hint of a failed step, redacted. */
function problemDetails(problem: Problem, redact: Redact) {
  return [
    { code: redact(problem.code), text: redact(problem.message) },
    problem.hint ? { text: redact(problem.hint) } : null,
  ];
}

/** Where the answer is shown: the dialog (for its texts, `o365-config.test.*`), the output, the redaction. */
interface Report {
  node: EditorNode;
  output: JQuery;
  redact: Redact;
}

/** A test text in the dialog's language. */
const testText = (node: EditorNode, key: string, subs?: Record<string, unknown>) =>
  node._(`o365-config.test.${key}`, subs);

function renderAnswer(report: Report, answer: TestAnswer): void {
  const { node, output, redact } = report;
  const t = (key: string, subs?: Record<string, unknown>) => testText(node, key, subs);
  output.empty();
  if (answer.error) {
    output.append(resultLine(false, t('failed', { error: redact(answer.error) })));
    return;
  }
  const token = answer.token ?? { ok: false };
  if (!token.ok) {
    output.append(resultLine(false, t('token-failed'), problemDetails(token, redact)));
    return;
  }
  const until = token.expiresOn ? new Date(token.expiresOn).toLocaleString() : '?';
  output.append(resultLine(true, t('token-ok', { time: until })));
  if (answer.delegated) renderDelegated(report, answer.delegated);
  else renderRoles(report, answer);
  renderMailbox(report, answer.mailbox);
  if (answer.push) renderPush(report, answer.push);
}

/** Whether the notification URL under the public URL answers Graph's validation request. */
function renderPush({ node, output, redact }: Report, push: NonNullable<TestAnswer['push']>): void {
  const t = (key: string, subs?: Record<string, unknown>) => testText(node, key, subs);
  output.append(
    push.ok
      ? resultLine(true, t('push-ok', { url: push.url, ms: push.ms }), [{ text: t('push-from-here') }])
      : resultLine(false, t('push-failed', { url: push.url ?? '' }), [
          { code: redact(push.problem), text: redact(push.detail) },
        ]),
  );
}

/** A signed-in user's grant against what the nodes need, and the fix for each gap. */
function renderDelegated(
  { node, output, redact }: Report,
  delegated: NonNullable<TestAnswer['delegated']>,
): void {
  const t = (key: string, subs?: Record<string, unknown>) => testText(node, key, subs);
  const user = delegated.user?.username ?? '?';
  output.append(resultLine(true, t('signed-in', { user: redact(user) })));
  output.append(
    resultLine(true, t('granted', { permissions: (delegated.permissions ?? []).join(', ') || '-' })),
  );
  for (const need of delegated.needs ?? []) {
    const because = need.because.map((b) => node._(`o365-config.delegated.because.${b}`)).join('; ');
    output.append(
      resultLine(
        need.granted,
        t(need.granted ? 'need-granted' : 'need-missing', { permission: need.permission, because }),
      ),
    );
  }
}

/** An application's roles against what the nodes need. */
function renderRoles({ node, output }: Report, answer: TestAnswer): void {
  const t = (key: string, subs?: Record<string, unknown>) => testText(node, key, subs);
  const roles = Array.isArray(answer.roles) ? answer.roles : [];
  output.append(
    roles.length
      ? resultLine(true, t('roles', { roles: roles.join(', ') }))
      : resultLine(false, t('no-roles')),
  );
  for (const check of Array.isArray(answer.checks) ? answer.checks : []) {
    output.append(resultLine(!!check.ok, t('check', { need: check.need, permission: check.permission })));
  }
}

/** The mailbox probe. */
function renderMailbox({ node, output, redact }: Report, mailbox: TestAnswer['mailbox']): void {
  if (!mailbox) return;
  const address = { address: mailbox.address };
  output.append(
    mailbox.ok
      ? resultLine(true, testText(node, 'mailbox-ok', address))
      : resultLine(false, testText(node, 'mailbox-failed', address), problemDetails(mailbox, redact)),
  );
}

/** Runs the test for the dialog's values of the account `settings` and shows the outcome in `output`. */
export function testConnection(
  node: EditorNode,
  settings: readonly string[],
  button: JQuery,
  output: JQuery,
): void {
  const body = requestBody(node, settings);
  const credentials = body.credentials as Record<string, string>;
  const secrets = [credentials.clientSecret, credentials.privateKey].filter(
    (secret) => secret && secret !== UNCHANGED_SECRET && secret.length >= 6,
  );
  // Defence in depth: whatever the answer says, a secret typed in this dialog is never shown.
  const redact: Redact = (text) => {
    let shown = text === undefined || text === null ? '' : String(text);
    for (const secret of secrets) shown = shown.split(secret).join('•••');
    return shown;
  };
  button.prop('disabled', true);
  button.find('i').attr('class', 'fa fa-spinner fa-spin');
  output.empty().append($('<div>').text(node._('o365-config.test.running')));
  $.ajax({
    url: 'o365-config/test',
    type: 'POST',
    contentType: 'application/json',
    data: JSON.stringify(body),
    dataType: 'json',
  })
    .done((answer: TestAnswer) => renderAnswer({ node, output, redact }, answer ?? {}))
    .fail((xhr: JQuery.jqXHR) => {
      const error = xhr.responseJSON?.error ?? node._('o365-config.test.no-answer', { status: xhr.status });
      output.empty().append(resultLine(false, node._('o365-config.test.failed', { error: redact(error) })));
    })
    .always(() => {
      button.prop('disabled', false);
      button.find('i').attr('class', 'fa fa-plug');
    });
}
