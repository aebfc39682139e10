/**
 * The account a config node describes, checked and normalised once into a full object (as msal does with its
 * configuration): cloud URLs resolved, credentials checked, certificate thumbprint derived.
 */
import { X509Certificate, createHash, createPrivateKey } from 'crypto';
import { Cloud, CLOUDS, DOMAIN, GUID, MULTI_TENANT_IDS, THUMBPRINT } from './account-rules';
import { ConfigError } from './errors';

export type { Cloud };

export type AuthType = 'secret' | 'certificate' | 'delegated';

/** The config node's properties and credentials, as the editor stores them. */
export interface AccountSettings {
  tenantId?: string;
  applicationId?: string;
  cloud?: string;
  authorityHost?: string;
  graphEndpoint?: string;
  authType?: string;
  certificateThumbprint?: string;
  clientSecret?: string;
  privateKey?: string;
  certificate?: string;
}

export interface Account {
  tenantId: string;
  applicationId: string;
  cloud: Cloud;
  /** e.g. `https://login.microsoftonline.com` (no trailing slash). */
  authorityHost: string;
  /** e.g. `https://graph.microsoft.com` (no trailing slash). */
  graphEndpoint: string;
  /** `{graphEndpoint}/.default` */
  scope: string;
  credential:
    | { type: 'secret'; clientSecret: string }
    /** A user signs in; a client secret makes the app a confidential (web) client, none a public client. */
    | { type: 'delegated'; clientSecret?: string }
    | {
        type: 'certificate';
        privateKey: string;
        /** Hex thumbprint; 40 characters (SHA-1) or 64 (SHA-256). */
        thumbprint: string;
        certificate?: string;
      };
}

/** Checks and completes the settings; throws ConfigError naming the first thing that is wrong. */
export function normaliseAccount(settings: AccountSettings): Account {
  const tenantId = (settings.tenantId ?? '').trim();
  const applicationId = (settings.applicationId ?? '').trim();
  if (!tenantId)
    throw new ConfigError('No tenant: set the Directory (tenant) ID or domain', { property: 'tenantId' });
  const delegated = settings.authType === 'delegated';
  const multiTenant = MULTI_TENANT_IDS.includes(tenantId.toLowerCase());
  if (multiTenant && !delegated) {
    throw new ConfigError(
      `Tenant "${tenantId}" works only when a user signs in (authType delegated); give the Directory (tenant) ID or domain`,
      { property: 'tenantId' },
    );
  }
  if (!multiTenant && !GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
    throw new ConfigError(
      delegated
        ? `Tenant "${tenantId}" is not a GUID, a domain, common, organizations or consumers`
        : `Tenant "${tenantId}" is neither a GUID nor a domain name`,
      { property: 'tenantId' },
    );
  }
  if (!applicationId)
    throw new ConfigError('No application: set the Application (client) ID', { property: 'applicationId' });
  if (!GUID.test(applicationId)) {
    throw new ConfigError(`Application (client) ID "${applicationId}" is not a GUID`, {
      property: 'applicationId',
    });
  }
  const cloud = (settings.cloud || 'global') as Cloud;
  let endpoints: { authorityHost: string; graphEndpoint: string };
  if (cloud === 'custom') {
    endpoints = {
      authorityHost: httpsOrigin(settings.authorityHost, 'Authority host', 'authorityHost'),
      graphEndpoint: httpsOrigin(settings.graphEndpoint, 'Graph endpoint', 'graphEndpoint'),
    };
  } else if (cloud in CLOUDS) {
    endpoints = CLOUDS[cloud];
  } else {
    throw new ConfigError(`Unknown cloud "${settings.cloud}": use global, usgov, usgovdod, china or custom`, {
      property: 'cloud',
    });
  }
  return {
    tenantId: multiTenant ? tenantId.toLowerCase() : tenantId,
    applicationId,
    cloud,
    ...endpoints,
    scope: `${endpoints.graphEndpoint}/.default`,
    credential: credentialOf(settings),
  };
}

function credentialOf(settings: AccountSettings): Account['credential'] {
  const authType = (settings.authType || 'secret') as AuthType;
  if (authType === 'secret') {
    const clientSecret = settings.clientSecret ?? '';
    if (!clientSecret)
      throw new ConfigError('No client secret: paste the Value of a client secret of the app', {
        property: 'clientSecret',
      });
    return { type: 'secret', clientSecret };
  }
  if (authType === 'delegated') {
    const clientSecret = settings.clientSecret ?? '';
    return clientSecret ? { type: 'delegated', clientSecret } : { type: 'delegated' };
  }
  if (authType !== 'certificate') {
    throw new ConfigError(
      `Unknown authentication type "${settings.authType}": use secret, certificate or delegated`,
      { property: 'authType' },
    );
  }
  const privateKey = (settings.privateKey ?? '').trim();
  if (!privateKey)
    throw new ConfigError('No private key: paste the PKCS#8 PEM private key of the certificate', {
      property: 'privateKey',
    });
  if (!/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(privateKey)) {
    throw new ConfigError('The private key must be PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)', {
      property: 'privateKey',
    });
  }
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new ConfigError('The private key cannot be read; paste the whole unencrypted PKCS#8 PEM', {
      property: 'privateKey',
    });
  }
  const certificate = (settings.certificate ?? '').trim() || undefined;
  const given = (settings.certificateThumbprint ?? '').replace(/[\s:]/g, '');
  let thumbprint = given;
  if (certificate) {
    const derived = certificateThumbprints(certificate);
    if (given && given.toLowerCase() !== derived.sha1 && given.toLowerCase() !== derived.sha256) {
      throw new ConfigError('The thumbprint does not belong to the certificate given; clear one of them', {
        property: 'certificateThumbprint',
      });
    }
    thumbprint = given || derived.sha256;
  }
  if (!thumbprint)
    throw new ConfigError('No certificate thumbprint: give the thumbprint or the PEM certificate', {
      property: 'certificateThumbprint',
    });
  if (!THUMBPRINT.test(thumbprint)) {
    throw new ConfigError(
      'The certificate thumbprint must be 40 (SHA-1) or 64 (SHA-256) hexadecimal characters',
      { property: 'certificateThumbprint' },
    );
  }
  return { type: 'certificate', privateKey, thumbprint: thumbprint.toLowerCase(), certificate };
}

/** SHA-1 and SHA-256 thumbprints (lower-case hex) of a PEM certificate. */
export function certificateThumbprints(pem: string): { sha1: string; sha256: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new ConfigError('The certificate cannot be read; paste the PEM (-----BEGIN CERTIFICATE-----)', {
      property: 'certificate',
    });
  }
  return {
    sha1: createHash('sha1').update(cert.raw).digest('hex'),
    sha256: createHash('sha256').update(cert.raw).digest('hex'),
  };
}

function httpsOrigin(value: string | undefined, label: string, property: string): string {
  const text = (value ?? '').trim().replace(/\/+$/, '');
  if (!text) throw new ConfigError(`${label} is required for the custom cloud`, { property });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${label} "${text}" is not a URL`, { property });
  }
  if (url.protocol !== 'https:')
    throw new ConfigError(`${label} must be an https URL, not "${text}"`, { property });
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${label} must be a plain https URL without query, fragment or user name`, {
      property,
    });
  }
  return text;
}
