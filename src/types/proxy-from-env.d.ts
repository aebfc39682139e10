declare module 'proxy-from-env' {
  /** The proxy URL the *_PROXY / NO_PROXY environment variables name for `url`, or '' for none. */
  export function getProxyForUrl(url: string): string;
}
