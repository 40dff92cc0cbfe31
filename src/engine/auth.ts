/**
 * How a virtual user proves who it is: a static token, or one token minted per user from the
 * target's secret, sent as `Authorization: Bearer`, an `access_token` cookie, or a `token` query
 * parameter (what a browser's EventSource, which cannot set headers, uses).
 */
import { signToken } from '../core/jwt.js';
import type { Plan } from './plan.js';

export interface Credentials {
  headers: Record<string, string>;
  query: Record<string, string>;
}

const NONE: Credentials = { headers: {}, query: {} };

export type CredentialSource = (client: number) => Promise<Credentials>;

/** Tokens outlive the run by an hour, so none expires mid-run. */
function tokenTtlSeconds(plan: Plan): number {
  return Math.ceil(plan.duration / 1_000) + 3_600;
}

export function createCredentialSource(plan: Plan): CredentialSource {
  const auth = plan.auth;
  if (!auth) return async () => NONE;
  const ttlSeconds = tokenTtlSeconds(plan);
  const present = (token: string): Credentials => {
    if (auth.sendAs === 'cookie') return { headers: { cookie: `access_token=${token}` }, query: {} };
    if (auth.sendAs === 'query') return { headers: {}, query: { token } };
    return { headers: { authorization: `Bearer ${token}` }, query: {} };
  };
  if ('token' in auth) {
    const credentials = present(auth.token);
    return async () => credentials;
  }
  return async (client) => present(await signToken({ userId: `${auth.userPrefix}${client}`, secret: auth.secret, ttlSeconds }));
}

/**
 * The publisher's headers (a plan's `publish:` with `auth: subscribers`): the subscribers' static
 * token, or one minted for `<userPrefix>publisher` with the admin claim, which the reference
 * server's broadcast needs. Always a header: a publish is no EventSource.
 */
export async function publisherHeaders(plan: Plan): Promise<Record<string, string>> {
  const auth = plan.auth;
  if (plan.publish?.auth === 'none' || auth === undefined) return {};
  if ('token' in auth) return { authorization: `Bearer ${auth.token}` };
  const token = await signToken({ userId: `${auth.userPrefix}publisher`, secret: auth.secret, ttlSeconds: tokenTtlSeconds(plan), admin: true });
  return { authorization: `Bearer ${token}` };
}

/** `path?query`, with the plan's query, the credentials' query and any extra parameters. */
export function buildPath(path: string, ...queries: Array<Record<string, string>>): string {
  const params = new URLSearchParams();
  for (const query of queries) for (const [key, value] of Object.entries(query)) params.set(key, value);
  const search = params.toString();
  if (search.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${search}`;
}
