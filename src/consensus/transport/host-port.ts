export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Splits `host:port` or `[ipv6]:port`; throws on anything else. */
export function parseHostPort(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  if (colon < 0) throw new Error(`address "${address}" is not host:port`);
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) throw new Error(`address "${address}": IPv6 hosts need brackets`);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`address "${address}" has an invalid port`);
  return { host, port };
}

/** The inverse of parseHostPort. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
