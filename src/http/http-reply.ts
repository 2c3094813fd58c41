// The part of Fastify's reply and request that controllers use, so they need not
// depend on the fastify package's types.
export interface HttpReply {
  status(statusCode: number): unknown;
  header(name: string, value: string): unknown;
}

export interface HttpRequest {
  readonly url: string;
}
