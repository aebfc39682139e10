/**
 * The parts of the Node-RED editor's API (the browser's global `RED`) that these dialogs use, typed here because
 * Node-RED publishes no typings for its editor. jQuery's come from @types/jquery.
 */

/** An answer of a property check: true, or the problem in the user's language. */
export type Check = true | string;

/** A node as the editor holds it: its saved properties, and the translator of its catalogue. */
export interface EditorNode {
  id: string;
  type: string;
  name?: string;
  credentials?: Record<string, unknown>;
  _(key: string, substitutions?: Record<string, unknown>): string;
  [property: string]: unknown;
}

/** A property check as Node-RED calls it, with the node as `this`. */
export type Validator = (this: EditorNode, value: unknown, options?: unknown) => boolean | string;

export interface EditorRED {
  _(key: string, substitutions?: Record<string, unknown>): string;
  settings: { apiRootUrl?: string };
  validators: {
    typedInput(options: { typeField: string; allowBlank?: boolean }): Validator;
  };
  editor: { validateNode(node: EditorNode): boolean };
  view: { redraw(full?: boolean): void };
  nodes: {
    dirty(dirty?: boolean): boolean;
    /** Calls `callback` for every flow node in the workspace. */
    eachNode(callback: (node: EditorNode) => void): void;
    /** A node (config nodes included) by id. */
    node(id: string): EditorNode | null;
  };
}

declare global {
  const RED: EditorRED;
  interface JQuery {
    /** Node-RED's TypedInput widget. */
    typedInput(options: { default?: string; types: string[]; typeField: JQuery }): JQuery;
    typedInput(method: 'value', value: string): JQuery;
  }
}
