/**
 * docker-compose.yml, validated by Debian's `docker-compose config` (no Docker daemon needed), and
 * each part checked where a real tool can check it: the Prometheus config with `promtool`, the
 * Grafana provisioning it mounts, the files its builds and volumes point at.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DOCKER_COMPOSE, PROMTOOL, hasTools } from '../helpers/tools.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const hasCompose = hasTools('docker-compose validation', DOCKER_COMPOSE);
const hasPromtool = hasTools('promtool check', PROMTOOL);

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: Array<string | { host_ip?: string; published?: string | number; target?: number }>;
  volumes?: Array<string | { type: string; source: string; target: string }>;
  profiles?: string[];
}

let resolved: Promise<{ services: Record<string, ComposeService> }> | undefined;

/** `docker-compose config`: the file as Compose resolves it (defaults filled, paths absolute); run once. */
function composeConfig(): Promise<{ services: Record<string, ComposeService> }> {
  resolved ??= loadComposeConfig();
  return resolved;
}

async function loadComposeConfig(): Promise<{ services: Record<string, ComposeService> }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
  const { stdout } = await run(DOCKER_COMPOSE.path, ['--project-directory', ROOT, '-f', join(ROOT, 'docker-compose.yml'), 'config'], { env, timeout: 30_000 });
  return parse(stdout) as { services: Record<string, ComposeService> };
}

function service(config: { services: Record<string, ComposeService> }, name: string): ComposeService {
  const found = config.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function hostSideOfVolume(volume: string | { type: string; source: string }): string | undefined {
  if (typeof volume !== 'string') return volume.type === 'bind' ? volume.source : undefined;
  const source = volume.split(':')[0] ?? '';
  return source.startsWith('/') || source.startsWith('.') ? source : undefined;
}

describe.skipIf(!hasCompose)('docker-compose.yml (docker-compose config)', () => {
  it('is valid and holds the reference server, Prometheus, Grafana and k6', async () => {
    const config = await composeConfig();
    expect(Object.keys(config.services).sort()).toEqual(['grafana', 'k6', 'prometheus', 'server']);
  }, 40_000);

  it('builds the reference server from deploy/server/Dockerfile and serves on 0.0.0.0:8080', async () => {
    const server = service(await composeConfig(), 'server');
    expect(server.build?.dockerfile).toBe('deploy/server/Dockerfile');
    expect(existsSync(join(server.build!.context, server.build!.dockerfile))).toBe(true);
    expect(server.command?.slice(0, 5)).toEqual(['serve', '--host', '0.0.0.0', '--port', '8080']);
    expect(server.environment?.['JWT_ACCESS_SECRET']).toBeTruthy();
    const dockerfile = await readFile(join(ROOT, 'deploy/server/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/EXPOSE 8080/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/streamsoak.js"\]/);
  }, 40_000);

  it('runs Prometheus with the remote-write receiver and its config mounted', async () => {
    const prometheus = service(await composeConfig(), 'prometheus');
    expect(prometheus.command).toContain('--web.enable-remote-write-receiver');
    expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const mounts = (prometheus.volumes ?? []).map(String);
    expect(mounts.some((mount) => mount.includes('deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml'))).toBe(true);
  }, 40_000);

  it('provisions Grafana with the dashboards folder and anonymous viewing', async () => {
    const grafana = service(await composeConfig(), 'grafana');
    expect(grafana.environment).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' });
    const mounts = (grafana.volumes ?? []).map(String);
    expect(mounts.some((mount) => mount.endsWith('/dashboards:/var/lib/grafana/dashboards:ro'))).toBe(true);
    expect(mounts.some((mount) => mount.includes('dashboards/provisioning/datasources:/etc/grafana/provisioning/datasources'))).toBe(true);
    expect(mounts.some((mount) => mount.includes('dashboards/provisioning/dashboards:/etc/grafana/provisioning/dashboards'))).toBe(true);
    const homeDashboard = grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '';
    expect(existsSync(join(ROOT, 'dashboards', homeDashboard.replace('/var/lib/grafana/dashboards/', '')))).toBe(true);
  }, 40_000);

  it('builds k6 from deploy/k6-operator/Dockerfile and sends remote write to the Prometheus service', async () => {
    const k6 = service(await composeConfig(), 'k6');
    expect(join(k6.build!.context, k6.build!.dockerfile)).toBe(join(ROOT, 'deploy/k6-operator/Dockerfile'));
    // The image's entrypoint is k6 itself: the compose command starts with `run`.
    const dockerfile = await readFile(join(ROOT, 'deploy/k6-operator/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ENTRYPOINT \["k6"\]/);
    expect(dockerfile).toMatch(/xk6-sse/);
    expect(k6.command?.[0]).toBe('run');
    expect(k6.command?.at(-1)).toBe('/scenarios/sse-soak.js');
    expect(k6.environment?.['K6_PROMETHEUS_RW_SERVER_URL']).toBe('http://prometheus:9090/api/v1/write');
    expect(k6.environment?.['TARGET']).toBe('http://server:8080');
    expect(k6.command).toEqual(expect.arrayContaining(['experimental-prometheus-rw', 'engine=k6']));
  }, 40_000);

  it('points every bind mount and build at a file of the repository (build outputs aside)', async () => {
    const config = await composeConfig();
    for (const [name, entry] of Object.entries(config.services)) {
      if (entry.build !== undefined) expect(existsSync(join(entry.build.context, entry.build.dockerfile)), `${name}: ${entry.build.dockerfile}`).toBe(true);
      for (const volume of entry.volumes ?? []) {
        const source = hostSideOfVolume(volume);
        // dist/k6 is written by `streamsoak k6 build`, not committed.
        if (source === undefined || source.includes('/dist/')) continue;
        expect(existsSync(source), `${name}: ${source}`).toBe(true);
      }
    }
  }, 40_000);

  it('publishes every port on loopback only', async () => {
    const config = await composeConfig();
    for (const [name, entry] of Object.entries(config.services)) {
      for (const port of entry.ports ?? []) {
        const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
        expect(hostIp, `${name}: ${JSON.stringify(port)}`).toBe('127.0.0.1');
      }
    }
  }, 40_000);

  it('wires the Grafana datasource and the Prometheus scrape to the compose service names and ports', async () => {
    const datasources = parse(await readFile(join(ROOT, 'dashboards/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: Array<{ url: string }> };
    expect(datasources.datasources[0]?.url).toBe('http://prometheus:9090');
    const prometheusConfig = parse(await readFile(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const scrape = prometheusConfig.scrape_configs[0]!;
    expect(scrape.metrics_path ?? '/metrics').toBe('/metrics');
    expect(scrape.static_configs[0]?.targets).toEqual(['server:8080']);
    const services = (await composeConfig()).services;
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['server', 'prometheus']));
  }, 40_000);
});

describe.skipIf(!hasPromtool)('deploy/prometheus/prometheus.yml (promtool)', () => {
  it('passes `promtool check config`', async () => {
    const { stdout } = await run(PROMTOOL.path, ['check', 'config', join(ROOT, 'deploy/prometheus/prometheus.yml')], { timeout: 30_000 });
    expect(stdout).toMatch(/SUCCESS/);
  }, 40_000);
});
