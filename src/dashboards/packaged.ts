/**
 * The dashboard files as shipped in the package's `dashboards/` folder. The Grafana SDK that
 * generates them is a development dependency, so an installed streamsoak writes these copies; the
 * unit tests keep them identical to what the code generates.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every file `streamsoak dashboards` writes, relative to the output folder. */
export const DASHBOARD_FILES = [
  'sse-soak.json',
  'provisioning/datasources/prometheus.yaml',
  'provisioning/dashboards/streamsoak.yaml',
] as const;

/** `dashboards/` of the package: this file is src/dashboards/ or dist/dashboards/, two levels below. */
export const PACKAGED_DASHBOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboards');

/** Copies the shipped files into `outDir`; returns the paths written. */
export async function copyPackagedDashboardFiles(outDir: string, sourceDir = PACKAGED_DASHBOARDS_DIR): Promise<string[]> {
  const written: string[] = [];
  for (const path of DASHBOARD_FILES) {
    const content = await readFile(join(sourceDir, path), 'utf8');
    const target = join(outDir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(target);
  }
  return written;
}
