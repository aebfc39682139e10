/**
 * A dialog's form as data: sections, fields, hints and buttons, rendered into the `data-template-name` markup that
 * Node-RED shows (at build time, by src/editor/page.ts). Every text is a catalogue key derived from the node type
 * and the property, so the three dialogs share one markup and their English lives only in nodes/locales/.
 */

/** What the dialog shows now: a property's value (checkboxes as booleans). */
export type FormValue = (prop: string) => string | boolean;

/** Whether a part applies to the values the dialog shows now; parts without one always show. */
export type ShownWhen = (value: FormValue) => boolean;

interface PartBase {
  when?: ShownWhen;
}

export interface SectionPart extends PartBase {
  kind: 'section';
  /** `<type>.section.<title>`; none for the rule above the name. */
  title?: string;
}

export interface HintPart extends PartBase {
  kind: 'hint';
  /** `<type>.tip.<tip>`; none for a hint whose text the dialog writes. */
  tip?: string;
  id?: string;
  /** Read out by screen readers when its text changes. */
  live?: boolean;
  /** A caution rather than a tip: shown as a warning. */
  warning?: boolean;
}

export type InputKind =
  'text' | 'password' | 'number' | 'select' | 'checkbox' | 'textarea' | 'config' | 'typed';

export interface FieldPart extends PartBase {
  kind: 'field';
  prop: string;
  input: InputKind;
  /** A Font Awesome 4 icon name without `fa-`. */
  icon?: string;
  /** select: the values; each shows `<type>.<prop>.<value>`. */
  options?: readonly string[];
  /** number: `<type>.unit.<unit>` after the box. */
  unit?: string;
  /** checkbox: `<type>.tip.<text>` beside the box (the label then names the property). */
  text?: string;
  monospace?: boolean;
  /** textarea: hide the text as a password field does. */
  masked?: boolean;
  /** textarea: a button that reads a local file of these types into the field. */
  upload?: string;
}

export interface ButtonPart extends PartBase {
  kind: 'button';
  id: string;
  icon: string;
  /** `<type>.<text>`. */
  text: string;
}

export interface OutputPart extends PartBase {
  kind: 'output';
  id: string;
  className: string;
}

export type FormPart = SectionPart | HintPart | FieldPart | ButtonPart | OutputPart;

/** Node-RED's own catalogue has the word for a node's name, in every language the editor speaks. */
export const NAME_KEY = 'node-red:common.label.name';

export const section = (title?: string, when?: ShownWhen): SectionPart => ({ kind: 'section', title, when });

export const hint = (tip: string | undefined, options: Omit<HintPart, 'kind' | 'tip'> = {}): HintPart => ({
  kind: 'hint',
  tip,
  ...options,
});

export const field = (
  prop: string,
  input: InputKind,
  icon: string | undefined,
  options: Omit<FieldPart, 'kind' | 'prop' | 'input' | 'icon'> = {},
): FieldPart => ({ kind: 'field', prop, input, icon, ...options });

/** The closing part of every dialog: a rule, then the node's name. */
export const nameRow = (): FormPart[] => [section(), field('name', 'text', 'tag')];

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An element's attributes, in order; `true` stands alone, `undefined` and `false` are left out. */
function attributes(list: Array<[string, string | boolean | undefined]>): string {
  return list
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([name, value]) => (value === true ? ` ${name}` : ` ${name}="${escape(value as string)}"`))
    .join('');
}

function labelFor(id: string, icon: string | undefined, key: string): string {
  const glyph = icon ? `<i class="fa fa-${escape(icon)}"></i> ` : '';
  return `<label for="${escape(id)}">${glyph}<span data-i18n="${escape(key)}"></span></label>`;
}

/** The catalogue key of a field's label. */
export function labelKey(type: string, prop: string): string {
  return prop === 'name' ? NAME_KEY : `${type}.label.${prop}`;
}

/** Every box for text shows an example or what an empty box means: `<type>.placeholder.<prop>`. */
function placeholderKey(type: string, part: FieldPart): string {
  return `[placeholder]${part.prop === 'name' ? NAME_KEY : `${type}.placeholder.${part.prop}`}`;
}

const CHECKBOX_STYLE = 'display:inline-block; width:auto; vertical-align:top;';

function renderInput(type: string, prefix: string, part: FieldPart): string {
  const id = `${prefix}-${part.prop}`;
  const placeholder = placeholderKey(type, part);
  const wide = `width:70%${part.monospace ? '; font-family: monospace' : ''}`;
  const spellcheck = part.monospace || part.input === 'textarea' ? 'false' : undefined;
  switch (part.input) {
    case 'config':
      return `<input${attributes([
        ['type', 'text'],
        ['id', id],
      ])}>`;
    case 'select': {
      const options = (part.options ?? [])
        .map(
          (value) =>
            `<option value="${escape(value)}" data-i18n="${escape(`${type}.${part.prop}.${value}`)}"></option>`,
        )
        .join('');
      return `<select${attributes([
        ['id', id],
        ['style', 'width:70%'],
      ])}>${options}</select>`;
    }
    case 'number':
      return (
        `<input${attributes([
          ['type', 'text'],
          ['id', id],
          ['style', 'width:80px'],
        ])}>` + (part.unit ? ` <span data-i18n="${escape(`${type}.unit.${part.unit}`)}"></span>` : '')
      );
    case 'checkbox':
      return `<input${attributes([
        ['type', 'checkbox'],
        ['id', id],
        ['style', CHECKBOX_STYLE],
      ])}>`;
    case 'textarea':
      return (
        `<textarea${attributes([
          ['id', id],
          ['class', part.masked ? 'o365-pem o365-masked' : 'o365-pem'],
          ['rows', '4'],
          ['spellcheck', spellcheck],
          ['autocomplete', part.masked ? 'off' : undefined],
          ['data-i18n', placeholder],
        ])}></textarea>` + (part.upload ? uploadButton(type, part.prop, part.upload) : '')
      );
    default: {
      const input = `<input${attributes([
        ['type', part.input === 'password' ? 'password' : 'text'],
        ['id', id],
        ['style', wide],
        ['spellcheck', spellcheck],
        ['autocomplete', part.input === 'password' ? 'new-password' : undefined],
        ['data-i18n', placeholder],
      ])}>`;
      // A TypedInput keeps its type in a hidden <prop>Type property.
      return part.input === 'typed' ? `${input} <input type="hidden" id="${escape(id)}Type">` : input;
    }
  }
}

function uploadButton(type: string, prop: string, accept: string): string {
  return (
    '<div style="margin: 4px 0 0 104px;"><label class="red-ui-button red-ui-button-small" style="width:auto">' +
    `<i class="fa fa-upload"></i> <span data-i18n="${escape(`${type}.label.upload`)}"></span>` +
    `<input type="file" class="hide" accept="${escape(accept)}" data-o365-target="${escape(prop)}"></label></div>`
  );
}

function renderField(type: string, prefix: string, part: FieldPart, extra: string): string {
  const id = `${prefix}-${part.prop}`;
  let row: string;
  if (part.input === 'checkbox') {
    // Beside the box: the property's label, or with an icon label in front, a sentence saying what it does.
    const left = part.icon ? labelFor(id, part.icon, labelKey(type, part.prop)) : '<label></label>';
    const right = part.text ? `${type}.tip.${part.text}` : labelKey(type, part.prop);
    row = `${left} ${renderInput(type, prefix, part)} <label for="${escape(id)}" style="width:auto" data-i18n="${escape(right)}"></label>`;
  } else {
    row = `${labelFor(id, part.icon, labelKey(type, part.prop))} ${renderInput(type, prefix, part)}`;
  }
  return `<div class="form-row"${extra}>${row}</div>`;
}

function renderPart(type: string, prefix: string, part: FormPart, extra: string): string {
  switch (part.kind) {
    case 'section':
      return `<div class="o365-section"${attributes([['data-i18n', part.title && `${type}.section.${part.title}`]])}${extra}></div>`;
    case 'hint':
      return `<div class="o365-hint${part.warning ? ' o365-warning' : ''}"${attributes([
        ['id', part.id],
        ['data-i18n', part.tip && `${type}.tip.${part.tip}`],
        ['aria-live', part.live ? 'polite' : undefined],
      ])}${extra}></div>`;
    case 'button':
      return (
        `<div class="form-row"${extra}><label></label> <button type="button" class="red-ui-button" id="${escape(part.id)}">` +
        `<i class="fa fa-${escape(part.icon)}"></i> <span data-i18n="${escape(`${type}.${part.text}`)}"></span></button></div>`
      );
    case 'output':
      return `<div${attributes([
        ['id', part.id],
        ['class', part.className],
        ['aria-live', 'polite'],
      ])}${extra}></div>`;
    default:
      return renderField(type, prefix, part, extra);
  }
}

/** The attribute that ties a part's element to its `when` (see src/editor/dialog.ts). */
export const WHEN_ATTRIBUTE = 'data-o365-when';

/** The form's markup, one element per line; parts with a `when` carry their index in WHEN_ATTRIBUTE. */
export function renderForm(type: string, prefix: string, parts: readonly FormPart[]): string {
  return parts
    .map((part, index) => renderPart(type, prefix, part, part.when ? ` ${WHEN_ATTRIBUTE}="${index}"` : ''))
    .join('\n');
}

/** Every catalogue key the form shows (for the test that each exists in every language). */
export function formKeys(type: string, parts: readonly FormPart[]): string[] {
  const html = renderForm(type, 'node-input', parts);
  return [...html.matchAll(/data-i18n="(?:\[\w+\])?([^"]+)"/g)].map((m) =>
    m[1].replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))),
  );
}
