/**
 * Writes a node's editor file (nodes/<type>.html) from its editor: the form's markup and the definition Node-RED
 * and the Flow Library read (category, colour, defaults, ports, icon) as literals, its behaviour taken from the
 * shared editor script. Run by scripts/build.js; the file is a build output like nodes/*.js.
 */
import { defineNode, inputPrefix, NodeDefinition, NodeEditor, PropertyDef } from './dialog';
import { renderForm } from './form';
import { EDITOR_SCRIPT, RESOURCES } from './resources';

const literal = (value: unknown) => JSON.stringify(value);

/** One `defaults` or `credentials` entry: literals, and the check taken from the script. */
function propertyEntry(group: string, prop: string, def: PropertyDef & { type?: string }): string {
  const parts: string[] = [];
  if ('value' in def && def.value !== undefined) parts.push(`value: ${literal(def.value)}`);
  if (def.type) parts.push(`type: ${literal(def.type)}`);
  if (def.required) parts.push('required: true');
  if (def.validate) parts.push(`validate: editor.${group}.${prop}.validate`);
  return `${prop}: { ${parts.join(', ')} },`;
}

function group(name: 'defaults' | 'credentials', entries: Record<string, PropertyDef> | undefined): string[] {
  if (!entries) return [];
  const lines = Object.entries(entries).map(([prop, def]) => `  ${propertyEntry(name, prop, def)}`);
  return [`${name}: {`, ...lines, '},'];
}

/** The object literal given to RED.nodes.registerType, in the order of Node-RED's documentation. */
function definitionLiteral(definition: NodeDefinition): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(definition)) {
    if (value === undefined) continue;
    if (key === 'defaults' || key === 'credentials')
      lines.push(...group(key, value as Record<string, PropertyDef>));
    else if (typeof value === 'function') lines.push(`${key}: editor.${key},`);
    else lines.push(`${key}: ${literal(value)},`);
  }
  return lines;
}

const indent = (spaces: number, lines: string[]) => lines.map((line) => ' '.repeat(spaces) + line);

/** The text of nodes/<type>.html. */
export function renderNodeFile(editor: NodeEditor): string {
  const type = editor.type;
  const form = renderForm(type, inputPrefix(editor), editor.form).split('\n');
  return [
    '<!--',
    `  The ${type} editor, written by scripts/build.js from src/editor/${type}.ts: change that file, not this one.`,
    `  The help is in locales/<language>/${type}.html.`,
    '-->',
    `<script type="text/javascript" src="${RESOURCES}/${EDITOR_SCRIPT}"></script>`,
    '',
    `<script type="text/html" data-template-name="${type}">`,
    ...indent(4, form),
    '</script>',
    '',
    '<script type="text/javascript">',
    '  (function (editor) {',
    `    RED.nodes.registerType(${literal(type)}, {`,
    ...indent(6, definitionLiteral(defineNode(editor))),
    '    });',
    `  })(O365Editor[${literal(type)}]);`,
    '</script>',
    '',
  ].join('\n');
}
