/**
 * Stands in for prom-client in the Worker bundle (wrangler.toml `[alias]`): prom-client needs Node's
 * modules, which a Worker has only with `nodejs_compat`. The reference app loads prom-client on the
 * first scrape and answers 501 when that fails, which importing this module makes it do.
 */
throw new Error('prom-client is not available on Cloudflare Workers: /metrics is not served here');

export {};
