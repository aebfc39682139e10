/**
 * One node editor as data (its properties, form and behaviour), and the Node-RED definition made from it: the
 * same dialog behaviour for every node (parts shown by `when`, saved-flow versions brought up to date) plus the
 * node's own.
 */
import { currentVersion, migrate, NodeTypeName, savedVersion, SavedVersionError } from '../red/migrations';
import { FormPart, FormValue, WHEN_ATTRIBUTE } from './form';
import { EditorNode, Validator } from './red';
import { PACKAGE } from './resources';

/** One entry of Node-RED's `defaults`. */
export interface PropertyDef {
  /** None for a property that points at a config node. */
  value?: unknown;
  required?: boolean;
  /** The type of the config node this property points at. */
  type?: string;
  validate?: Validator;
}

export interface CredentialDef {
  type: 'text' | 'password';
  validate?: Validator;
}

/** Everything that makes one node's editor. */
export interface NodeEditor {
  type: NodeTypeName;
  category: string;
  color?: string;
  icon: string;
  inputs?: number;
  outputs?: number;
  align?: 'right';
  defaults: Record<string, PropertyDef>;
  credentials?: Record<string, CredentialDef>;
  form: FormPart[];
  /** The label on the canvas of a node the user gave no name (`this` is the node). */
  label(this: EditorNode): string;
  /** Called when the dialog has been filled in, after the shared behaviour. */
  prepare?(node: EditorNode, value: FormValue): void;
  /** Called when the dialog closes, saved or not. */
  close?(node: EditorNode): void;
}

/** The definition Node-RED's `RED.nodes.registerType` takes. */
export interface NodeDefinition {
  category: string;
  color?: string;
  defaults: Record<string, PropertyDef>;
  credentials?: Record<string, CredentialDef>;
  inputs?: number;
  outputs?: number;
  icon: string;
  align?: 'right';
  paletteLabel?: (this: EditorNode) => string;
  inputLabels?: (this: EditorNode) => string;
  outputLabels?: (this: EditorNode) => string;
  label: (this: EditorNode) => string;
  labelStyle: (this: EditorNode) => string;
  oneditprepare: (this: EditorNode) => void;
  oneditsave: (this: EditorNode) => void;
  oneditcancel: (this: EditorNode) => void;
}

/** The id prefix of a dialog's inputs: config nodes open in a dialog of their own. */
export function inputPrefix(editor: Pick<NodeEditor, 'category'>): string {
  return editor.category === 'config' ? 'node-config-input' : 'node-input';
}

/** The value a dialog input shows now (checkboxes as booleans), or undefined when the dialog has no such input. */
export function inputValue(prefix: string, prop: string): string | boolean | undefined {
  const input = $(`#${prefix}-${prop}`);
  if (!input.length) return undefined;
  return input.attr('type') === 'checkbox' ? input.prop('checked') === true : String(input.val() ?? '');
}

/** The value of a property: what the open dialog shows, else the saved one. */
export function currentValue(node: EditorNode, prefix: string, prop: string): unknown {
  const shown = inputValue(prefix, prop);
  return shown === undefined ? node[prop] : shown;
}

/** Refuses a version this release cannot read, naming the release that saved it. */
function versionValidator(type: NodeTypeName): Validator {
  return function (value) {
    try {
      savedVersion(type, { version: value });
      return true;
    } catch (err) {
      if (!(err instanceof SavedVersionError)) throw err;
      return RED._(`${SHARED_CATALOGUE}:o365-config.version.${err.code}`, {
        type,
        version: String(err.version),
        supported: err.supported,
      });
    }
  };
}

/** The config node's catalogue holds the texts all three dialogs share. */
export const SHARED_CATALOGUE = `${PACKAGE}/o365-config`;

/**
 * A node saved by an older release: its properties brought to the current version, shown in the dialog and saved
 * with it when the user presses Done (nothing changes on Cancel).
 */
function showMigrated(editor: NodeEditor, node: EditorNode, prefix: string): void {
  const saved: Record<string, unknown> = {};
  for (const prop of Object.keys(editor.defaults)) saved[prop] = node[prop];
  let result;
  try {
    result = migrate(editor.type, saved);
  } catch {
    return; // a newer or unreadable version: the version property's check says so
  }
  if (result.from === result.to) return;
  for (const [prop, value] of Object.entries(result.properties)) {
    const input = $(`#${prefix}-${prop}`);
    if (!input.length || value === saved[prop]) continue;
    if (input.attr('type') === 'checkbox') input.prop('checked', value === true);
    else input.val(String(value));
  }
}

/** Shows each part whose `when` holds and hides the others. */
function showPartsThatApply(form: readonly FormPart[], value: FormValue): void {
  form.forEach((part, index) => {
    if (part.when) $(`[${WHEN_ATTRIBUTE}="${index}"]`).toggle(part.when(value));
  });
}

/**
 * A check Node-RED takes a text answer from: it reads a string as the problem only from a validator that declares
 * two parameters (Node-RED 3's convention), and as "valid" from one that declares fewer.
 */
function withProblemText(validate: Validator): Validator {
  return function (value, options) {
    return validate.call(this, value, options);
  };
}

/** The entries with their checks made to report problems as text. */
function checked<T extends { validate?: Validator }>(entries: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(entries).map(([prop, entry]) => [
      prop,
      entry.validate ? { ...entry, validate: withProblemText(entry.validate) } : entry,
    ]),
  );
}

/** Node-RED's definition of a node made from its editor. */
export function defineNode(editor: NodeEditor): NodeDefinition {
  const prefix = inputPrefix(editor);
  const value: FormValue = (prop) => inputValue(prefix, prop) ?? '';
  const definition: NodeDefinition = {
    category: editor.category,
    color: editor.color,
    defaults: checked({
      version: { value: currentVersion(editor.type), validate: versionValidator(editor.type) },
      ...editor.defaults,
    }),
    credentials: editor.credentials && checked(editor.credentials),
    inputs: editor.inputs,
    outputs: editor.outputs,
    icon: editor.icon,
    align: editor.align,
    label() {
      return this.name || editor.label.call(this);
    },
    labelStyle() {
      return this.name ? 'node_label_italic' : '';
    },
    oneditprepare() {
      showMigrated(editor, this, prefix);
      const refresh = () => showPartsThatApply(editor.form, value);
      $(`[id^="${prefix}-"]`).on('change keyup input', refresh);
      refresh();
      editor.prepare?.(this, value);
    },
    oneditsave() {
      // Done saves what the dialog shows: properties brought up to date are now at the current version.
      const saved = this.version;
      const version = currentVersion(editor.type);
      if (saved === undefined || saved === null || saved === '' || Number(saved) < version)
        this.version = version;
      editor.close?.(this);
    },
    oneditcancel() {
      editor.close?.(this);
    },
  };
  if (editor.category !== 'config') {
    definition.paletteLabel = function () {
      return this._(`${editor.type}.paletteLabel`);
    };
    definition.inputLabels = function () {
      return this._(`${editor.type}.inputLabel`);
    };
    definition.outputLabels = function () {
      return this._(`${editor.type}.outputLabel`);
    };
  }
  return definition;
}
