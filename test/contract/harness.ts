/**
 * Contract suite harness: the same scenarios against the simulator (always) and against a real Microsoft 365 tenant
 * (when O365_TENANT_ID, O365_CLIENT_ID, O365_CLIENT_SECRET and O365_MAILBOX are set; O365_CLOUD optional). It drives
 * the product's engines (src/receive Receiver, src/send Sender) and checks the same properties on both targets:
 * nothing lost, nothing twice, and (on the simulator) no schema violation.
 *
 * ADDING A SCENARIO: create one file `test/contract/scenarios/<name>.scenario.ts` that exports
 *
 *     export const scenario: Scenario = {
 *       name: 'what it proves',
 *       requires: ['faults'],          // optional: capabilities only the simulator has (see Capability)
 *       timeoutMs: 120_000,            // optional: the tenant may need minutes for delivery and search
 *       knownIssue: 'issue 10: ...',   // optional: a product bug it shows (must fail until fixed, then remove)
 *       async run(t) { ... },          // t: Target (below)
 *     };
 *
 * (or `export const scenarios: Scenario[]` for a family). contract.test.ts loads every `*.scenario.ts` file in that
 * folder and runs each scenario once per target. Inside `run`:
 * - `await t.folder('name')` makes a fresh folder for the scenario (below a root folder of this run) and returns its
 *   path for ReceiveOptions.folder; `await t.seed(path, [{ subject }, ...])` puts mails into it (the simulator adds them
 *   directly; a tenant gets them by mail to itself, waits for delivery within a bound, then moves them). Every subject
 *   is prefixed with the run tag (`t.tag(subject)` gives the full subject), so `byTopic` matches deliveries to seeds.
 * - `t.receiver(options)` builds a Receiver (memory cursor store) that records every delivery; `pollUntilQuiet` polls
 *   until a poll delivers nothing. `t.receiver(options, 'b')` runs it as in another Node-RED (runtime 'b'). `t.sender()` builds a Sender. `t.list(path)` lists a folder through Graph.
 * - `t.inject` holds the simulator's controls (quirks and faults) and is undefined on a tenant: a scenario that cannot
 *   run without one lists the capability in `requires` (it is then skipped on a tenant, saying why), or checks
 *   `t.inject` and runs the part it can.
 * - Assert with `assertOnceEach(delivered, expected)` (nothing lost, nothing twice). The harness checks the
 *   simulator's schema violations after every scenario and cleans the tenant up (the run's folder and tagged mail).
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Connection } from '../../src/graph/connection';
import type { MailApi } from '../../src/graph/mail-api';
import type { InboundMail } from '../../src/mail/inbound';
import { pathSegment } from '../../src/graph/odata';
import { buildOutgoingMail, sendMailRequestBody } from '../../src/mail/outbound';
import { Receiver } from '../../src/receive';
import { memoryCursorStore } from '../../src/receive/cursor';
import { readReceiveOptions, type ReceiveProperties } from '../../src/receive/options';
import { englishText } from '../../src/red/catalogue';
import { Sender } from '../../src/send';
import { DEFAULT_APP, startSimulator, type Simulator } from '../simulator';

/** What only the simulator can do; a scenario needing one is skipped on a tenant. */
export type Capability = 'faults' | 'quirks';

export interface Scenario {
  name: string;
  requires?: Capability[];
  timeoutMs?: number;
  /**
   * A known product bug this scenario shows (e.g. 'issue 10: ...'): the scenario must fail, and is then reported as
   * pending with this text; once it passes the suite fails, telling whoever fixed the bug to remove the mark.
   */
  knownIssue?: string;
  run(t: Target): Promise<void>;
}

export interface SeedSpec {
  /** Without the run tag; the harness prefixes it. */
  subject: string;
  body?: string;
}

export interface Listed {
  id: string;
  subject: string;
  isRead: boolean;
  hasAttachments: boolean;
}

/** A Receiver that records what it delivered. */
export interface RecordingReceiver {
  receiver: Receiver;
  delivered: InboundMail[];
  problems: string[];
  /** Polls until a poll delivers and fails nothing (at most maxPolls); returns the number of polls. */
  pollUntilQuiet(maxPolls?: number): Promise<number>;
}

const TENANT_VARS = ['O365_TENANT_ID', 'O365_CLIENT_ID', 'O365_CLIENT_SECRET', 'O365_MAILBOX'];

/** Why the tenant target cannot run, or undefined when it can. */
export function tenantMissing(): string | undefined {
  const missing = TENANT_VARS.filter((name) => !process.env[name]);
  return missing.length
    ? `set ${missing.join(', ')} to run the contract suite against a real tenant`
    : undefined;
}

/** The target a scenario runs against: the simulator or a tenant. */
export abstract class Target {
  abstract readonly kind: 'simulator' | 'tenant';
  readonly runTag = `oc${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  /** A minute before the run began (clock skew), for listing only this run's mail. */
  readonly startedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  /** The simulator's controls; undefined on a tenant. */
  inject?: Simulator;
  connection!: Connection;
  api!: MailApi;
  mailbox = '';
  private rootPath?: string;
  private folderCount = 0;

  /** Connections of the other runtimes receivers were built in (closed in stop). */
  protected readonly runtimes = new Map<string, Connection>();

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  /** A new Connection to the target, in `runtime` (see ConnectionOptions.runtime). */
  protected abstract connect(runtime?: string): Connection;
  /** Puts mails with these (tagged) subjects into a folder. */
  protected abstract put(folderPath: string, subjects: string[], specs: SeedSpec[]): Promise<void>;
  /** Longest wait for mail to arrive (send to self) or show up in search. */
  abstract readonly deliveryTimeoutMs: number;

  /** The subject with the run tag, as seeded and as delivered. */
  tag(subject: string): string {
    return `[${this.runTag}] ${subject}`;
  }

  /** A fresh folder below the run's root folder (Inbox/<run tag>/<name>-n); returns its path. */
  async folder(name: string): Promise<string> {
    if (!this.rootPath) {
      await this.createFolder('inbox', this.runTag);
      this.rootPath = `Inbox/${this.runTag}`;
    }
    const display = `${name}-${++this.folderCount}`;
    const rootId = await this.api.resolveFolder(this.rootPath);
    await this.createFolder(rootId, display);
    return `${this.rootPath}/${display}`;
  }

  private async createFolder(parent: string, displayName: string): Promise<void> {
    await this.api.client.request({
      method: 'POST',
      path: `/users/${pathSegment(this.mailbox)}/mailFolders/${pathSegment(parent)}/childFolders`,
      body: { displayName },
      mailbox: this.mailbox,
    });
  }

  /** Seeds mails into a folder; returns their tagged subjects. */
  async seed(folderPath: string, specs: SeedSpec[]): Promise<string[]> {
    const subjects = specs.map((s) => this.tag(s.subject));
    await this.put(folderPath, subjects, specs);
    return subjects;
  }

  /** The mails of a folder, through Graph. */
  async list(folderPath: string, filter?: string): Promise<Listed[]> {
    const id = await this.api.resolveFolder(folderPath);
    const out: Listed[] = [];
    for await (const page of this.api.listMessages(id, {
      select: ['id', 'subject', 'isRead', 'hasAttachments'],
      top: 100,
      bodyFormat: 'text',
      expandAttachments: false,
      filter,
    })) {
      for (const m of page.value)
        out.push({
          id: String(m.id),
          subject: String(m.subject ?? ''),
          isRead: m.isRead === true,
          hasAttachments: m.hasAttachments === true,
        });
    }
    return out;
  }

  /** Waits until `check` returns a value (not undefined), polling every `everyMs`, at most `timeoutMs`. */
  async waitFor<T>(
    what: string,
    check: () => Promise<T | undefined>,
    timeoutMs = this.deliveryTimeoutMs,
    everyMs = 2000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`contract: gave up waiting ${timeoutMs} ms for ${what}`);
      await new Promise((r) => setTimeout(r, this.kind === 'simulator' ? Math.min(everyMs, 50) : everyMs));
    }
  }

  /**
   * A Receiver on this target that records deliveries. With `runtime`, it runs as in another Node-RED: its requests do
   * not wait for those of this one (each runtime keeps its own limit of 4 requests at once per mailbox), so two
   * consumers really contend for the same mails.
   */
  receiver(raw: Partial<ReceiveProperties>, runtime?: string): RecordingReceiver {
    const delivered: InboundMail[] = [];
    const problems: string[] = [];
    let connection = this.connection;
    if (runtime) {
      connection = this.runtimes.get(runtime) ?? this.connect(runtime);
      this.runtimes.set(runtime, connection);
    }
    const receiver = new Receiver(
      connection.mailbox(this.mailbox),
      readReceiveOptions({ username: this.mailbox, maxMessages: 0, ...raw }),
      memoryCursorStore(),
      {
        deliver: (mail) => {
          delivered.push(mail);
        },
        mailFailed: (err) => problems.push(err.message),
        warn: (notice) => problems.push(englishText(`o365-mail-in.errors.${notice.key}`, notice.subs)),
      },
    );
    return {
      receiver,
      delivered,
      problems,
      async pollUntilQuiet(maxPolls = 20) {
        for (let polls = 1; polls <= maxPolls; polls++) {
          const summary = await receiver.pollOnce();
          if (summary.delivered === 0 && summary.failed === 0) return polls;
        }
        throw new Error(`contract: still delivering after ${maxPolls} polls`);
      },
    };
  }

  /** A Sender from the mailbox. */
  sender(): Sender {
    return new Sender(this.connection.mailbox(this.mailbox), {
      sentCopyDelaysMs: [0, 1000, 2000, 4000, 8000],
    });
  }

  /** Checks after each scenario: on the simulator, no request or response broke Graph's schemas. */
  afterScenario(): void {
    if (this.inject) assert.deepEqual(this.inject.schemaViolations, [], 'no schema violation');
  }

  /** Deletes what this run left behind: the run's folder, and tagged mail left in Inbox and Sent Items. */
  async cleanup(): Promise<void> {
    const user = `/users/${pathSegment(this.mailbox)}`;
    if (this.rootPath) {
      const rootId = await this.api.resolveFolder(this.rootPath).catch(() => undefined);
      if (rootId) {
        await this.api.client
          .request({
            method: 'DELETE',
            path: `${user}/mailFolders/${pathSegment(rootId)}`,
            mailbox: this.mailbox,
          })
          .catch(() => undefined);
      }
    }
    for (const folder of ['inbox', 'sentitems']) {
      try {
        for (const m of await this.tagged(folder)) await this.api.deleteMessage(m.id).catch(() => undefined);
      } catch {
        // Best effort: a leftover tagged mail is harmless and visibly named.
      }
    }
  }

  /** Mails of a folder received since the run began whose subject carries this run's tag. */
  async tagged(folder: string): Promise<Listed[]> {
    const prefix = `[${this.runTag}]`;
    return (await this.list(folder, `receivedDateTime ge ${this.startedAt}`)).filter((m) =>
      m.subject.startsWith(prefix),
    );
  }
}

/** The simulator target: a fresh simulator per run, the product's Connection on a custom cloud. */
export class SimulatorTarget extends Target {
  readonly kind = 'simulator' as const;
  readonly deliveryTimeoutMs = 10_000;
  sim!: Simulator;

  async start(): Promise<void> {
    this.mailbox = 'contract@contoso.example';
    this.sim = await startSimulator({ mailboxes: [this.mailbox] });
    this.inject = this.sim;
    this.connection = this.connect();
    this.api = this.connection.mailbox(this.mailbox);
  }

  protected connect(runtime?: string): Connection {
    return new Connection(
      {
        tenantId: this.sim.tenantId,
        applicationId: DEFAULT_APP.clientId,
        cloud: 'custom',
        authorityHost: this.sim.url,
        graphEndpoint: this.sim.url,
        authType: 'secret',
        clientSecret: DEFAULT_APP.secrets?.[0].value,
      },
      { ca: this.sim.ca, retry: { baseDelayMs: 10, maxDelayMs: 200, maxTotalDelayMs: 5000 }, runtime },
    );
  }

  protected async put(folderPath: string, subjects: string[], specs: SeedSpec[]): Promise<void> {
    subjects.forEach((subject, i) =>
      this.sim.addMessage(this.mailbox, folderPath, {
        subject,
        body: specs[i].body ?? `Body of ${subject}`,
        from: { name: 'Contract suite', address: this.mailbox },
      }),
    );
  }

  async stop(): Promise<void> {
    for (const c of this.runtimes.values()) c.close();
    this.connection?.close();
    await this.sim?.stop();
  }
}

/** A real tenant from the O365_* variables. */
export class TenantTarget extends Target {
  readonly kind = 'tenant' as const;
  readonly deliveryTimeoutMs = 180_000;

  async start(): Promise<void> {
    this.mailbox = process.env.O365_MAILBOX as string;
    this.connection = this.connect();
    this.api = this.connection.mailbox(this.mailbox);
    await this.api.probe();
  }

  protected connect(runtime?: string): Connection {
    return new Connection(
      {
        tenantId: process.env.O365_TENANT_ID,
        applicationId: process.env.O365_CLIENT_ID,
        clientSecret: process.env.O365_CLIENT_SECRET,
        cloud: process.env.O365_CLOUD || 'global',
      },
      { runtime },
    );
  }

  /** Sends each mail to the mailbox itself, waits (bounded) until it is in the Inbox, then moves it into the folder. */
  protected async put(folderPath: string, subjects: string[], specs: SeedSpec[]): Promise<void> {
    for (const [i, subject] of subjects.entries()) {
      const mail = buildOutgoingMail({
        subject,
        to: this.mailbox,
        cc: undefined,
        bcc: undefined,
        payload: specs[i].body ?? `Body of ${subject}`,
        bodyType: 'text',
      });
      await this.api.sendMail(sendMailRequestBody(mail, false));
    }
    const inbox = 'inbox';
    const target = await this.api.resolveFolder(folderPath);
    const pending = new Set(subjects);
    await this.waitFor(`${subjects.length} mails to arrive in ${this.mailbox}`, async () => {
      for (const m of await this.tagged(inbox)) {
        if (pending.delete(m.subject)) await this.api.move(m.id, target);
      }
      return pending.size === 0 ? true : undefined;
    });
  }

  async stop(): Promise<void> {
    try {
      await this.cleanup();
    } finally {
      for (const c of this.runtimes.values()) c.close();
      this.connection?.close();
    }
  }
}

/** Nothing lost, nothing twice: each expected subject delivered exactly once, nothing else. */
export function assertOnceEach(delivered: { topic: string }[], expected: string[], what = 'delivered'): void {
  const counts = new Map<string, number>();
  for (const d of delivered) counts.set(d.topic, (counts.get(d.topic) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
  const lost = expected.filter((s) => !counts.has(s));
  const extra = [...counts.keys()].filter((s) => !expected.includes(s));
  assert.deepEqual(
    { lost, twice, extra },
    { lost: [], twice: [], extra: [] },
    `${what}: nothing lost, nothing twice`,
  );
}

/** The subjects of `n` numbered mails. */
export function numbered(prefix: string, n: number): SeedSpec[] {
  return Array.from({ length: n }, (_, i) => ({ subject: `${prefix} ${i + 1}` }));
}
