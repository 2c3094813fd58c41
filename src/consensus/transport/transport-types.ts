/** The slice of a logger the transport needs; a pino logger fits. */
export interface TransportLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Who sent a frame, as proven by the Hello of the connection it arrived on. */
export interface PeerIdentity {
  readonly id: string;
  readonly incarnation: string;
  readonly clusterId: string;
}
