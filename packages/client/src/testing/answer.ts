/** An answer whose body has the contract's type: the fake cannot answer a shape the server could not. */
export interface Answer<T> {
  status: number;
  body: T;
  headers?: Record<string, string>;
}

/** `T` comes from where the answer goes (a route's declared body type), so excess keys are errors too. */
export const answer = <T>(status: number, body: NoInfer<T>, headers?: Record<string, string>): Answer<T> => ({
  status,
  body,
  ...(headers && { headers }),
});

export const toResponse = ({ status, body, headers = {} }: Answer<unknown>): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
