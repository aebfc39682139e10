/** Where Node-RED serves this package's editor resources (the package's resources/ folder). */
export const PACKAGE = '@mailgraph/node-red-o365-mail';
export const RESOURCES = `resources/${PACKAGE}`;
export const EDITOR_SCRIPT = 'o365-editor.js';
export const EDITOR_STYLESHEET = 'o365-editor.css';
