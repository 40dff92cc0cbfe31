/**
 * `--out prometheus-rw[=URL]`, as `run` and `k6 run` take it: one parser, so both commands accept
 * the same forms and refuse the same way (exit 2, before anything is sent). The URL is the flag's,
 * else `K6_PROMETHEUS_RW_SERVER_URL` (the variable k6's own output reads), else the local
 * Prometheus that `docker compose up` starts.
 */
import { UsageError } from '../core/errors.js';
import { DEFAULT_REMOTE_WRITE_URL } from '../k6/runner.js';

const OUTPUT = 'prometheus-rw';
const URL_ENV = 'K6_PROMETHEUS_RW_SERVER_URL';

export interface RemoteWriteFlagOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Where the command takes the outputs it does not know itself, said when one is refused. */
  otherOutputsHint?: string;
}

/** The remote-write URL of one `--out` value. Throws a UsageError naming the value and what is allowed. */
export function parseRemoteWriteFlag(value: string, options: RemoteWriteFlagOptions): string {
  const [kind] = value.split('=', 1);
  if (kind !== OUTPUT) {
    const hint = options.otherOutputsHint === undefined ? '' : ` (${options.otherOutputsHint})`;
    throw new UsageError(`--out ${value}: only ${OUTPUT}[=URL] is supported${hint}`);
  }
  if (value.length > OUTPUT.length) {
    const url = value.slice(OUTPUT.length + 1);
    if (url === '') throw new UsageError(`--out ${value} needs a URL: --out ${OUTPUT}=URL, or --out ${OUTPUT} with ${URL_ENV} set (else ${DEFAULT_REMOTE_WRITE_URL})`);
    return checkUrl(url, `--out ${OUTPUT}=URL`);
  }
  const fromEnv = options.env[URL_ENV];
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_REMOTE_WRITE_URL : checkUrl(fromEnv, `${URL_ENV} (read for --out ${OUTPUT})`);
}

/** Every `--out` value of a command that takes several, in order. */
export function parseRemoteWriteFlags(values: readonly string[], options: RemoteWriteFlagOptions): string[] {
  return values.map((value) => parseRemoteWriteFlag(value, options));
}

function checkUrl(url: string, where: string): string {
  if (!/^https?:\/\/\S+$/i.test(url) || !URL.canParse(url)) throw new UsageError(`${where}: "${url}" is not an http(s) URL`);
  return url;
}
