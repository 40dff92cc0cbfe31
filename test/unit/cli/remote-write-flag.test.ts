import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { parseRemoteWriteFlag, parseRemoteWriteFlags } from '../../../src/cli/remote-write-flag.js';
import { DEFAULT_REMOTE_WRITE_URL } from '../../../src/k6/runner.js';
import { runCli } from '../../helpers/cli.js';

const noEnv = { env: {} };

function refusal(value: string, options: Parameters<typeof parseRemoteWriteFlag>[1] = noEnv): string {
  try {
    parseRemoteWriteFlag(value, options);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`--out ${value} was accepted`);
}

describe('parseRemoteWriteFlag', () => {
  it('takes the URL written after prometheus-rw=, credentials and query included', () => {
    expect(parseRemoteWriteFlag('prometheus-rw=http://127.0.0.1:9090/api/v1/write', noEnv)).toBe('http://127.0.0.1:9090/api/v1/write');
    expect(parseRemoteWriteFlag('prometheus-rw=https://user:key@prom.example/push?tenant=a=b', noEnv)).toBe('https://user:key@prom.example/push?tenant=a=b');
  });

  it('reads a bare prometheus-rw from K6_PROMETHEUS_RW_SERVER_URL, else the local Prometheus', () => {
    expect(parseRemoteWriteFlag('prometheus-rw', { env: { K6_PROMETHEUS_RW_SERVER_URL: 'http://prom:9090/api/v1/write' } })).toBe('http://prom:9090/api/v1/write');
    expect(parseRemoteWriteFlag('prometheus-rw', noEnv)).toBe(DEFAULT_REMOTE_WRITE_URL);
    expect(parseRemoteWriteFlag('prometheus-rw', { env: { K6_PROMETHEUS_RW_SERVER_URL: '' } })).toBe(DEFAULT_REMOTE_WRITE_URL);
    // The flag's URL wins over the environment's.
    expect(parseRemoteWriteFlag('prometheus-rw=http://a:1/w', { env: { K6_PROMETHEUS_RW_SERVER_URL: 'http://b:2/w' } })).toBe('http://a:1/w');
  });

  it('refuses another output, naming it, and says where the command takes the others', () => {
    expect(refusal('influxdb')).toBe('--out influxdb: only prometheus-rw[=URL] is supported');
    expect(refusal('prometheus-rwx=http://a/w')).toMatch(/^--out prometheus-rwx=http:\/\/a\/w: only prometheus-rw/);
    expect(refusal('json=out.json', { env: {}, otherOutputsHint: 'other k6 outputs go after --' })).toBe(
      '--out json=out.json: only prometheus-rw[=URL] is supported (other k6 outputs go after --)',
    );
  });

  it('refuses an empty URL with the ways to give one', () => {
    expect(refusal('prometheus-rw=')).toMatch(/needs a URL: --out prometheus-rw=URL, or --out prometheus-rw with K6_PROMETHEUS_RW_SERVER_URL set/);
  });

  it.each(['127.0.0.1:9090/api/v1/write', 'ftp://prom/w', 'http://', 'http://prom/a b'])('refuses %j as not an http(s) URL', (url) => {
    expect(refusal(`prometheus-rw=${url}`)).toBe(`--out prometheus-rw=URL: "${url}" is not an http(s) URL`);
  });

  it('names the environment variable when the URL it holds is bad', () => {
    expect(refusal('prometheus-rw', { env: { K6_PROMETHEUS_RW_SERVER_URL: 'prom:9090' } })).toBe(
      'K6_PROMETHEUS_RW_SERVER_URL (read for --out prometheus-rw): "prom:9090" is not an http(s) URL',
    );
  });

  it('parses every value of a repeated flag, in order', () => {
    expect(parseRemoteWriteFlags(['prometheus-rw=http://a/w', 'prometheus-rw'], noEnv)).toEqual(['http://a/w', DEFAULT_REMOTE_WRITE_URL]);
    expect(parseRemoteWriteFlags([], noEnv)).toEqual([]);
  });
});

describe('--out on the command line', () => {
  it('refuses the same values the same way in run and k6 run, with exit 2', async () => {
    for (const command of [
      ['run', '--url', 'http://127.0.0.1:9', '--sse', '1', '--duration', '1s'],
      ['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9'],
    ]) {
      const other = await runCli([...command, '--out', 'influxdb'], { env: { PATH: '' } });
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/--out influxdb: only prometheus-rw\[=URL\] is supported/);
      const badUrl = await runCli([...command, '--out', 'prometheus-rw=localhost:9090'], { env: { PATH: '' } });
      expect(badUrl.code).toBe(2);
      expect(badUrl.stderr).toMatch(/"localhost:9090" is not an http\(s\) URL/);
    }
  });
});
