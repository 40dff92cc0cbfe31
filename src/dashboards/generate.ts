/**
 * Every file `streamsoak dashboards` writes, as relative path + content, so the command and the
 * "committed JSON is up to date" test share one source.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DASHBOARD_FILES } from './packaged.js';
import { formatDashboardProvisioning, formatDatasourceProvisioning } from './provisioning.js';
import { buildSseSoakDashboard } from './sse-soak.js';

export interface GeneratedFile {
  /** Relative to the output folder (`dashboards/` in the repository). */
  path: (typeof DASHBOARD_FILES)[number];
  content: string;
}

export function formatDashboardJson(dashboard: unknown): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

export function generateDashboardFiles(): GeneratedFile[] {
  return [
    { path: 'sse-soak.json', content: formatDashboardJson(buildSseSoakDashboard()) },
    { path: 'provisioning/datasources/prometheus.yaml', content: formatDatasourceProvisioning() },
    { path: 'provisioning/dashboards/streamsoak.yaml', content: formatDashboardProvisioning() },
  ];
}

/** Writes the generated files under `outDir`; returns the paths written. */
export async function writeDashboardFiles(outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const file of generateDashboardFiles()) {
    const target = join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    written.push(target);
  }
  return written;
}
