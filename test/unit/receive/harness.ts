/** The receive engine on a real Connection against the simulator, with its deliveries and warnings recorded. */
import type { Connection } from '../../../src/graph/connection';
import type { InboundMail } from '../../../src/mail/inbound';
import { MailError, Notice, Receiver } from '../../../src/receive';
import { memoryCursorStore, type CursorStore } from '../../../src/receive/cursor';
import { readReceiveOptions, type ReceiveProperties } from '../../../src/receive/options';
import type { ReceiveEnvironment } from '../../../src/receive/receiver';
import { englishText } from '../../../src/red/catalogue';
import { strict as assert } from 'node:assert';
import { startSimulator, type Simulator } from '../../simulator';
import { simConnection } from '../../support/sim-connection';

export { simConnection };

export const MAILBOX = 'user@contoso.example';

export interface Engine {
  receiver: Receiver;
  delivered: InboundMail[];
  failures: MailError[];
  warnings: string[];
  notices: Notice[];
  store: CursorStore;
  connection: Connection;
  close(): void;
}

/** A fresh simulator with MAILBOX for each test, checked against Graph's schemas after it; `use` is given each. */
export function freshSimulator(use: (sim: Simulator) => void): void {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
    use(sim);
  });
  afterEach(async () => {
    const violations = sim.schemaViolations;
    await sim.stop();
    assert.deepEqual(violations, []);
  });
}

/** A receiver for MAILBOX with these node properties over SPEC's defaults (and a claim timeout, for tests). */
export function engine(
  sim: Simulator,
  properties: ReceiveProperties & { claimTimeoutMs?: number } = {},
  extra: {
    store?: CursorStore;
    connection?: Connection;
    deliver?: (mail: InboundMail) => void;
    environment?: ReceiveEnvironment;
  } = {},
): Engine {
  const connection = extra.connection ?? simConnection(sim);
  const delivered: InboundMail[] = [];
  const failures: MailError[] = [];
  const warnings: string[] = [];
  const notices: Notice[] = [];
  const store = extra.store ?? memoryCursorStore();
  const { claimTimeoutMs, ...rest } = properties;
  const options = readReceiveOptions({ username: MAILBOX, ...rest });
  if (claimTimeoutMs !== undefined) options.claimTimeoutMs = claimTimeoutMs;
  const api = connection.mailbox(options.mailbox, connection.client());
  const receiver = new Receiver(
    api,
    options,
    store,
    {
      deliver: (mail) => {
        extra.deliver?.(mail);
        delivered.push(mail);
      },
      mailFailed: (err) => failures.push(err),
      warn: (notice) => {
        notices.push(notice);
        warnings.push(englishText(`o365-mail-in.errors.${notice.key}`, notice.subs));
      },
    },
    extra.environment,
  );
  return {
    receiver,
    delivered,
    failures,
    warnings,
    notices,
    store,
    connection,
    close: () => connection.close(),
  };
}
