/** The receive engine on a real Connection against the simulator, with its deliveries and warnings recorded. */
import { Connection } from '../../../src/graph/connection';
import type { InboundMail } from '../../../src/mail/inbound';
import { MailError, Notice, Receiver } from '../../../src/receive';
import { memoryCursorStore, type CursorStore } from '../../../src/receive/cursor';
import { readReceiveOptions, type ReceiveProperties } from '../../../src/receive/options';
import type { ReceiveEnvironment } from '../../../src/receive/receiver';
import { englishText } from '../../../src/red/catalogue';
import type { Simulator } from '../../simulator';

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

/** A connection to the simulator with short retry waits. */
export function simConnection(sim: Simulator): Connection {
  return new Connection(
    {
      cloud: 'custom',
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      tenantId: sim.tenantId,
      applicationId: sim.app.clientId,
      clientSecret: sim.app.secrets?.[0]?.value,
    },
    { ca: sim.ca, retry: { baseDelayMs: 5, maxDelayMs: 50 } },
  );
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
