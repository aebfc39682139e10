/**
 * Versions of saved flows. Every node of this package saves a `version` property; the steps below bring the
 * properties of an older saved node up to the current version, so that renaming a property or changing a default
 * never silently changes what an existing flow does. The same steps run in the runtime (when a node starts) and in
 * the editor (when a dialog opens an older node; the editor bundle src/editor/ imports this module), so both read a
 * saved node alike.
 *
 * A node saved without `version` is version 0: every release up to 0.1.0. A node saved by a newer release than this
 * one is refused, never guessed at.
 *
 * Adding a step: append `{ to: N + 1, change, up }` to the node type's list, keep `up` pure (a new object, the input
 * untouched) and total (a value it does not recognise stays as it is, so the node still reports it), and add the
 * saved flow of the previous release under test/fixtures/. A renamed property keeps its old name in the editor's
 * `defaults` until no supported version has it: the editor keeps only the properties listed there, and a flow
 * deployed from the editor would otherwise lose the old value before any step could move it.
 */
import { ErrorCodes } from '../graph/error-codes';
import { ConfigError } from '../graph/errors';

/** A node's properties as Node-RED hands them over: parsed JSON, so anything may be anywhere. */
export type SavedProperties = Readonly<Record<string, unknown>>;

/** One step from version `to - 1` to version `to`. */
export interface Migration {
  readonly to: number;
  /** What the step changes, in a sentence (for readers and the changelog). */
  readonly change: string;
  readonly up: (saved: SavedProperties) => Record<string, unknown>;
}

export type NodeTypeName = 'o365-config' | 'o365-mail-in' | 'o365-mail-out' | 'o365-mail-action';

/** Why a saved node's version cannot be used (codes from src/graph/error-codes.ts). */
export const SAVED_VERSION_ERROR_CODES = [ErrorCodes.newerVersion, ErrorCodes.unreadableVersion] as const;
export type SavedVersionErrorCode = (typeof SAVED_VERSION_ERROR_CODES)[number];

/** A saved node whose version this release cannot read: a setting that cannot work (`property` is `version`). */
export class SavedVersionError extends ConfigError {
  declare readonly code: SavedVersionErrorCode;

  constructor(
    code: SavedVersionErrorCode,
    readonly nodeType: string,
    readonly version: unknown,
    readonly supported: number,
  ) {
    super(
      code === ErrorCodes.newerVersion
        ? `${nodeType} was saved as version ${String(version)} by a newer release of this package; this release ` +
            `reads versions up to ${supported}: update the package`
        : `${nodeType} has version ${JSON.stringify(version)}, not a whole number from 0 to ${supported}`,
      { property: 'version', code },
    );
    this.name = 'SavedVersionError';
  }
}

/** What migrate() did. */
export interface MigrationResult {
  /** The properties at the current version, `version` included. */
  readonly properties: Record<string, unknown>;
  /** The version the node was saved with (0: saved before versions existed). */
  readonly from: number;
  readonly to: number;
}

const absent = (value: unknown) => value === undefined || value === null;
const blank = (value: unknown) => absent(value) || String(value).trim() === '';

/** `value`, or `fallback` where the node saved nothing. */
function orDefault(value: unknown, fallback: unknown): unknown {
  return absent(value) ? fallback : value;
}

/** Release 0.1.0 read a missing or empty flag as `fallback`, the text "false" as false, anything else by truth. */
function flag(value: unknown, fallback: boolean): boolean {
  if (absent(value) || value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  return Boolean(value);
}

/** Version 1 of o365-config: the cloud and sign-in type release 0.1.0 assumed when none was saved. */
function configVersion1(saved: SavedProperties): Record<string, unknown> {
  return {
    ...saved,
    name: orDefault(saved.name, ''),
    cloud: saved.cloud ? saved.cloud : 'global',
    authorityHost: orDefault(saved.authorityHost, ''),
    graphEndpoint: orDefault(saved.graphEndpoint, ''),
    authType: saved.authType ? saved.authType : 'secret',
    certificateThumbprint: orDefault(saved.certificateThumbprint, ''),
    // Release 0.1.0 had no push: no public URL.
    publicUrl: orDefault(saved.publicUrl, ''),
  };
}

/** Version 1 of o365-mail-in: every default release 0.1.0 applied to a missing property, written out. */
function mailInVersion1(saved: SavedProperties): Record<string, unknown> {
  return {
    ...saved,
    name: orDefault(saved.name, ''),
    folder: blank(saved.folder) ? 'inbox' : saved.folder,
    // An empty filter means "no filter"; only a missing one had the default.
    filter: orDefault(saved.filter, 'isRead eq false'),
    search: orDefault(saved.search, ''),
    action: blank(saved.action) ? 'read' : saved.action,
    moveTo: orDefault(saved.moveTo, ''),
    claim: flag(saved.claim, false),
    claimFolder: orDefault(saved.claimFolder, ''),
    pollType: saved.pollType ? saved.pollType : 'cron',
    cron: saved.cron === undefined ? '0 */5 * * * ?' : saved.cron,
    interval: saved.interval === undefined || saved.interval === '' ? 300 : saved.interval,
    // Release 0.1.0 polled at start for a missing property, and otherwise only for true or "true".
    pollOnStart:
      saved.pollOnStart === undefined ? true : saved.pollOnStart === true || saved.pollOnStart === 'true',
    maxMessages: absent(saved.maxMessages) || saved.maxMessages === '' ? 100 : saved.maxMessages,
    bodyFormat: blank(saved.bodyFormat) ? 'text' : saved.bodyFormat,
    attachments: flag(saved.attachments, true),
    output: blank(saved.output) ? 'message' : saved.output,
  };
}

const TYPED_FIELDS = ['username', 'subject', 'toRecipients', 'ccRecipients', 'bccRecipients'];

/** Version 1 of o365-mail-out: the field types (literal text) and options release 0.1.0 assumed. */
function mailOutVersion1(saved: SavedProperties): Record<string, unknown> {
  const out: Record<string, unknown> = { ...saved, name: orDefault(saved.name, '') };
  for (const field of TYPED_FIELDS) {
    if (field !== 'username') out[field] = orDefault(saved[field], '');
    // Flows saved before the type fields existed hold literal text.
    const type = saved[`${field}Type`];
    out[`${field}Type`] = absent(type) || type === '' ? 'str' : type;
  }
  out.bodyType = saved.bodyType ? saved.bodyType : 'auto';
  // Release 0.1.0 only sent new mail: no answers in a thread.
  out.mode = blank(saved.mode) ? 'send' : saved.mode;
  out.save =
    saved.save === undefined || saved.save === '' ? true : saved.save !== false && saved.save !== 'false';
  return out;
}

/**
 * Version 1 of o365-mail-action, the version it first shipped with: a node saved without a version (written by hand
 * or by a tool) gets the defaults of that release written out.
 */
function mailActionVersion1(saved: SavedProperties): Record<string, unknown> {
  const out: Record<string, unknown> = { ...saved, name: orDefault(saved.name, '') };
  for (const field of ['username', 'target']) {
    out[field] = orDefault(saved[field], '');
    const type = saved[`${field}Type`];
    out[`${field}Type`] = absent(type) || type === '' ? 'str' : type;
  }
  out.operation = blank(saved.operation) ? 'markRead' : saved.operation;
  out.categoryMode = blank(saved.categoryMode) ? 'add' : saved.categoryMode;
  out.bodyFormat = blank(saved.bodyFormat) ? 'text' : saved.bodyFormat;
  out.attachments = flag(saved.attachments, true);
  out.output = blank(saved.output) ? 'message' : saved.output;
  return out;
}

/** The steps of each node type, oldest first; the last one's `to` is the type's current version. */
export const MIGRATIONS: Readonly<Record<NodeTypeName, readonly Migration[]>> = {
  'o365-config': [
    {
      to: 1,
      change: 'cloud and authType written out (global, secret) where none was saved; no public URL',
      up: configVersion1,
    },
  ],
  'o365-mail-in': [
    {
      to: 1,
      change: 'every default of release 0.1.0 written out; flags stored as booleans',
      up: mailInVersion1,
    },
  ],
  'o365-mail-out': [
    {
      to: 1,
      change: 'field types (str) and options written out (mode send); save stored as a boolean',
      up: mailOutVersion1,
    },
  ],
  'o365-mail-action': [
    {
      to: 1,
      change: 'first release of the node: field types (str) and every default written out',
      up: mailActionVersion1,
    },
  ],
};

function stepsOf(nodeType: string): readonly Migration[] {
  const steps = (MIGRATIONS as Record<string, readonly Migration[] | undefined>)[nodeType];
  if (!steps)
    throw new RangeError(`no saved-flow versions are defined for node type ${JSON.stringify(nodeType)}`);
  return steps;
}

/** The version this release saves for a node type. */
export function currentVersion(nodeType: string): number {
  const steps = stepsOf(nodeType);
  return steps.length ? steps[steps.length - 1].to : 0;
}

/** The version a node was saved with: 0 when it has none. Throws SavedVersionError for a version it cannot read. */
export function savedVersion(nodeType: string, saved: SavedProperties): number {
  const supported = currentVersion(nodeType);
  const version = saved.version;
  if (absent(version) || version === '') return 0;
  const number = typeof version === 'string' && /^\s*\d+\s*$/.test(version) ? Number(version) : version;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
    throw new SavedVersionError(ErrorCodes.unreadableVersion, nodeType, version, supported);
  }
  if (number > supported) throw new SavedVersionError(ErrorCodes.newerVersion, nodeType, number, supported);
  return number;
}

/** Brings a saved node's properties to the current version. Throws SavedVersionError for a newer or unreadable one. */
export function migrate(nodeType: string, saved: SavedProperties): MigrationResult {
  const from = savedVersion(nodeType, saved);
  let properties: Record<string, unknown> = { ...saved };
  for (const step of stepsOf(nodeType)) {
    if (step.to > from) properties = { ...step.up(properties), version: step.to };
  }
  const to = currentVersion(nodeType);
  return { properties: { ...properties, version: to }, from, to };
}
