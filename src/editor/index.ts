/**
 * The browser side of this package's dialogs, built by scripts/build.js into resources/o365-editor.js, which
 * Node-RED serves at resources/@mailgraph/node-red-o365-mail/o365-editor.js. Each node's .html (written by the
 * build from src/editor/page.ts) loads it and registers its type with the definition found here.
 */
import { defineNode, NodeDefinition } from './dialog';
import { EDITORS } from './nodes';
import { EDITOR_STYLESHEET, RESOURCES } from './resources';

declare global {
  interface Window {
    O365Editor?: Record<string, NodeDefinition>;
  }
}

/** The shared stylesheet, linked once however many of the node files load this script. */
function linkStylesheet(href: string): void {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.appendChild(link);
}

// Every node file loads this script; the first load defines the editors, later ones keep them.
if (!window.O365Editor) {
  window.O365Editor = Object.fromEntries(EDITORS.map((editor) => [editor.type, defineNode(editor)]));
  linkStylesheet(`${RED.settings.apiRootUrl ?? ''}${RESOURCES}/${EDITOR_STYLESHEET}`);
}
