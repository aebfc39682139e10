/**
 * What a config node's settings may hold: the national clouds' hosts and the shape of tenant and application ids.
 * Plain data with no imports, shared by the runtime (src/graph/account.ts) and the editor (src/editor/), so the
 * dialog never accepts what the runtime refuses.
 */

export type Cloud = 'global' | 'usgov' | 'usgovdod' | 'china' | 'custom';

/** The authority host and Graph endpoint of each national cloud. */
export const CLOUDS: Record<Exclude<Cloud, 'custom'>, { authorityHost: string; graphEndpoint: string }> = {
  global: {
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
  },
  usgov: { authorityHost: 'https://login.microsoftonline.us', graphEndpoint: 'https://graph.microsoft.us' },
  usgovdod: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://dod-graph.microsoft.us',
  },
  china: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
  },
};

/**
 * Whether Graph offers message delta (`.../messages/delta`) in a cloud: not in 21Vianet's China cloud
 * (microsoft-graph-docs issue 2163, test/simulator/README.md). A custom cloud is found out by asking.
 */
export function offersMessageDelta(cloud: Cloud): boolean {
  return cloud !== 'china';
}

/** A directory (tenant) or application (client) id. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant's domain, such as contoso.onmicrosoft.com. */
export const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** A SHA-1 or SHA-256 certificate thumbprint in hex. */
export const THUMBPRINT = /^([0-9a-f]{40}|[0-9a-f]{64})$/i;

/** Tenant ids only a delegated account may use: any account (common), work accounts (organizations), personal ones. */
export const MULTI_TENANT_IDS: readonly string[] = ['common', 'organizations', 'consumers'];
