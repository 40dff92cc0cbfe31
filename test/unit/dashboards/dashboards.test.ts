import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRIC_NAMES, TREND_STATS, promSeriesName } from '../../../src/core/metric-names.js';
import { generateDashboardFiles } from '../../../src/dashboards/generate.js';
import { SERVER_METRICS } from '../../../src/dashboards/queries.js';
import { SERVER_METRIC_NAMES } from '../../../src/server/prometheus.js';

const REPO_DASHBOARDS = join(import.meta.dirname, '../../../dashboards');

interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { uid?: string } }>;
}

function sseSoak(): { panels: PanelJson[]; templating: { list: Array<{ name: string; type: string }> } } {
  const file = generateDashboardFiles().find((entry) => entry.path === 'sse-soak.json');
  return JSON.parse(file!.content) as ReturnType<typeof sseSoak>;
}

/** Every series name a panel may read: both engines' k6 names and the reference server's. */
function knownSeriesNames(): Set<string> {
  const names = new Set<string>(Object.values(SERVER_METRICS));
  for (const name of METRIC_NAMES) {
    names.add(promSeriesName(name));
    for (const stat of TREND_STATS) names.add(promSeriesName(name, stat));
  }
  return names;
}

describe('generated dashboards', () => {
  it.each(generateDashboardFiles().map((file) => [file.path, file.content] as const))(
    'matches the committed dashboards/%s (run `streamsoak dashboards` after changing src/dashboards)',
    async (path, content) => {
      const committed = await readFile(join(REPO_DASHBOARDS, path), 'utf8');
      expect(committed).toBe(content);
    },
  );

  it('has the datasource and testid variables, and every query uses the datasource variable', () => {
    const dashboard = sseSoak();
    expect(dashboard.templating.list.map((variable) => `${variable.name}:${variable.type}`)).toEqual(['datasource:datasource', 'testid:query']);
    const queried = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queried.length).toBeGreaterThanOrEqual(12);
    for (const panel of queried) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
    }
  });

  it('gives every panel a unique id and every query a unique refId within its panel', () => {
    const dashboard = sseSoak();
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('reads only series that an engine or the reference server sends, and filters client series by testid', () => {
    const known = knownSeriesNames();
    const serverNames = new Set<string>(Object.values(SERVER_METRICS));
    for (const panel of sseSoak().panels) {
      for (const target of panel.targets ?? []) {
        const names = target.expr!.match(/\b(?:k6|streamsoak_server)_[a-z0-9_]+/g) ?? [];
        expect(names.length, target.expr).toBeGreaterThan(0);
        for (const name of names) {
          expect(known.has(name), `${panel.title}: ${name}`).toBe(true);
          if (!serverNames.has(name)) expect(target.expr).toContain(`${name}{testid=~"$testid"`);
        }
      }
    }
  });

  it("queries the reference server's metrics under the names its /metrics exposes", () => {
    // dashboards/ may not import server/ (DESIGN.md's dependency direction): this keeps them in step.
    expect(SERVER_METRICS.openConnections).toBe(SERVER_METRIC_NAMES.connections);
    expect(SERVER_METRICS.eventsSent).toBe(SERVER_METRIC_NAMES.eventsSent);
    expect(SERVER_METRICS.slowConsumerDisconnects).toBe(SERVER_METRIC_NAMES.slowConsumerDisconnects);
  });

  it('covers the panels the issue asks for', () => {
    const titles = sseSoak().panels.map((panel) => panel.title);
    for (const title of [
      'Open connections',
      'Connects per second',
      'Drops by reason',
      'Connection lifetime',
      'Event latency percentiles',
      'Lost and duplicated events',
      'Connect failures by reason',
      'Polling delivery delay beside SSE latency',
      'Server: active SSE connections',
      'Server: slow-consumer disconnects',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it('writes provisioning YAML that Grafana can read: a Prometheus datasource and a file provider', () => {
    const files = new Map(generateDashboardFiles().map((file) => [file.path, parse(file.content) as Record<string, unknown>]));
    const datasources = files.get('provisioning/datasources/prometheus.yaml') as { apiVersion: number; datasources: Array<Record<string, unknown>> };
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', access: 'proxy' });
    const providers = files.get('provisioning/dashboards/streamsoak.yaml') as { providers: Array<{ type: string; options: { path: string } }> };
    expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});
