/**
 * What a config node holds: the checked account, the shared HTTP stack and the shared token cache. Each node gets
 * its own GraphClient (so retry notices reach that node's status) on the same tokens and mailbox limits.
 */
import { Account, AccountSettings, normaliseAccount } from './account';
import { GraphClient, RetrySettings } from './client';
import { createHttpStack, HttpOptions, HttpStack } from './http';
import { MailApi } from './mail-api';
import { TokenProvider } from './token';
import { RetryNotice } from './types';

export interface ConnectionOptions extends HttpOptions {
  retry?: Partial<RetrySettings>;
}

/** One Entra ID application: tokens and HTTP shared by every node that uses it. */
export class Connection {
  readonly account: Account;
  readonly http: HttpStack;
  readonly tokens: TokenProvider;

  /** Throws ConfigError when the settings cannot work. */
  constructor(
    settings: AccountSettings,
    private readonly options: ConnectionOptions = {},
  ) {
    this.account = normaliseAccount(settings);
    this.http = createHttpStack(options);
    this.tokens = new TokenProvider(this.account, this.http);
  }

  /** A Graph client on this connection's tokens. */
  client(onRetry?: (notice: RetryNotice) => void): GraphClient {
    return new GraphClient({
      graphEndpoint: this.account.graphEndpoint,
      tokens: this.tokens,
      http: this.http,
      retry: this.options.retry,
      onRetry,
    });
  }

  /** Mail operations on one mailbox. */
  mailbox(mailbox: string, client: GraphClient = this.client()): MailApi {
    return new MailApi(client, mailbox);
  }

  /** Closes idle sockets. */
  close(): void {
    this.http.destroy();
  }
}
