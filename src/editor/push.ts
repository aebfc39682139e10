/**
 * pollType push in the dialogs: the notification URL Graph will call, worked out by the runtime (GET
 * o365-mail-in/push-url, src/push/url.ts, with the runtime's httpNodeRoot), and the check that a public URL is HTTPS.
 */
import { EditorNode, Validator } from './red';
import { ENV_REFERENCE, isHttpsUrl, textOf } from './rules';

/** The runtime's answer: the URL, or why there is none (src/push/url.ts). */
interface UrlAnswer {
  url?: string;
  problem?: string;
  detail?: string;
}

/** A public URL is empty (no push), an `${ENV}` reference, or https without query: Graph calls nothing else. */
export function publicUrlValidator(type: string): Validator {
  return function (value) {
    const text = textOf(value);
    return text === '' || ENV_REFERENCE.test(text) || isHttpsUrl(text)
      ? true
      : this._(`${type}.invalid.publicUrl`);
  };
}

/** The public URL of an account, as the editor holds it now ('' when none). */
export function publicUrlOf(accountId: unknown): string {
  const account = typeof accountId === 'string' && accountId ? RED.nodes.node(accountId) : null;
  return textOf(account?.publicUrl);
}

let urlTimer: ReturnType<typeof setTimeout> | undefined;
let urlRequest = 0;

/**
 * Shows in `output` the URL Graph will call for `nodeId` under `publicUrl`, or the runtime's reason there is none;
 * `keys` name the texts: `url` (__url__), `none` (__detail__) and `nodeId`, shown in place of an id not known yet.
 */
export function showNotificationUrl(
  node: EditorNode,
  output: JQuery,
  publicUrl: string,
  nodeId: string,
  keys: { url: string; none: string; nodeId?: string },
): void {
  if (urlTimer) clearTimeout(urlTimer);
  const request = ++urlRequest;
  urlTimer = setTimeout(() => {
    $.ajax({ url: 'o365-mail-in/push-url', data: { publicUrl, node: nodeId }, dataType: 'json' })
      .done((answer: UrlAnswer) => {
        if (request !== urlRequest) return;
        if (answer?.url) {
          const url = keys.nodeId ? `${answer.url}‹${node._(keys.nodeId)}›` : answer.url;
          output.text(node._(keys.url, { url }));
        } else {
          output.text(node._(keys.none, { detail: answer?.detail ?? answer?.problem ?? '?' }));
        }
      })
      .fail(() => {
        if (request === urlRequest) output.empty();
      });
  }, 300);
}

/** Ends a pending look-up when the dialog closes. */
export function stopNotificationUrl(): void {
  if (urlTimer) clearTimeout(urlTimer);
  urlRequest++;
}
