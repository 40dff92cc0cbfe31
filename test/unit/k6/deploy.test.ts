import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TREND_STATS } from '../../../src/core/metric-names.js';
import { SCENARIO_NAMES } from '../../../src/k6/build.js';

const root = new URL('../../../', import.meta.url);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

describe('deploy/k6-operator', () => {
  it('testrun.yaml is a k6-operator TestRun of a bundled scenario, with remote write and the testid tag', async () => {
    const doc = parse(await readFile(new URL('deploy/k6-operator/testrun.yaml', root), 'utf8')) as {
      apiVersion: string;
      kind: string;
      spec: { parallelism: number; script: { configMap: { name: string; file: string } }; arguments: string; runner: { image: string; env: EnvVar[] } };
    };
    expect(doc.apiVersion).toBe('k6.io/v1alpha1');
    expect(doc.kind).toBe('TestRun');
    expect(doc.spec.parallelism).toBeGreaterThan(1);
    expect(SCENARIO_NAMES.map((name) => `${name}.js`)).toContain(doc.spec.script.configMap.file);
    expect(doc.spec.arguments).toMatch(/--out experimental-prometheus-rw/);
    expect(doc.spec.arguments).toMatch(/--tag testid=\S+/);
    expect(doc.spec.arguments).toMatch(/--tag engine=k6/);
    const env = Object.fromEntries(doc.spec.runner.env.map((item) => [item.name, item.value ?? item.valueFrom]));
    expect(env.K6_PROMETHEUS_RW_TREND_STATS).toBe(TREND_STATS.join(','));
    expect(env.TARGET).toMatch(/^https?:\/\//);
    // The testid label of the samples and the one handleSummary writes are the same.
    expect(doc.spec.arguments).toContain(`testid=${env.STREAMSOAK_TESTID as string}`);
    expect(env.JWT_ACCESS_SECRET).toMatchObject({ secretKeyRef: { key: 'JWT_ACCESS_SECRET' } });
  });

  it('the Dockerfile builds k6 with xk6-sse in a grafana/xk6 stage and runs k6', async () => {
    const dockerfile = await readFile(new URL('deploy/k6-operator/Dockerfile', root), 'utf8');
    expect(dockerfile).toMatch(/^FROM grafana\/xk6:\S+ AS build$/m);
    expect(dockerfile).toMatch(/xk6 build .*\\\n\s+--with "github\.com\/phymbert\/xk6-sse@/);
    expect(dockerfile).toMatch(/^COPY --from=build \S+ \/usr\/bin\/k6$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["k6"\]$/m);
  });
});
