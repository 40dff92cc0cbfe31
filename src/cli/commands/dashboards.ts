/**
 * `streamsoak dashboards [--out DIR]`: writes the Grafana dashboard JSON and provisioning files
 * (default `dashboards/` under the working directory).
 */
import { resolve } from 'node:path';
import { parseArgsOrUsage } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const HELP = `usage: streamsoak dashboards [--out DIR]

Writes the "SSE soak" Grafana dashboard (sse-soak.json) and Grafana provisioning files
(provisioning/datasources, provisioning/dashboards) into DIR (default: ./dashboards).`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgsOrUsage(
    {
      args,
      options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    },
    HELP,
  );
  if (values.help === true) {
    println(io.stdout, HELP);
    return EXIT.ok;
  }
  const outDir = resolve(io.cwd, values.out ?? 'dashboards');
  let written: string[];
  try {
    // Loaded on demand: the Grafana SDK is only needed by this command.
    const { writeDashboardFiles } = await import('../../dashboards/generate.js');
    written = await writeDashboardFiles(outDir);
  } catch (error) {
    if (!isMissingGrafanaSdk(error)) throw error;
    // An installed package has no dev dependencies: write the shipped copies (tests keep them equal).
    const { copyPackagedDashboardFiles } = await import('../../dashboards/packaged.js');
    written = await copyPackagedDashboardFiles(outDir);
    println(io.stderr, 'streamsoak dashboards: @grafana/grafana-foundation-sdk is not installed; wrote the packaged dashboards');
  }
  for (const path of written) println(io.stdout, `wrote ${path}`);
  return EXIT.ok;
}

function isMissingGrafanaSdk(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('@grafana/grafana-foundation-sdk');
}
