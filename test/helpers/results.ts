/** Reading what a run wrote into its results folder, validated against the published schemas. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESULT_FILES, connectionRecordSchema, type ConnectionRecord } from '../../src/results/schema.js';

/** Every line of OUT_DIR/connections.ndjson, each checked against the connection record schema. */
export async function readConnectionRecords(outDir: string): Promise<ConnectionRecord[]> {
  const text = await readFile(join(outDir, RESULT_FILES.connections), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => connectionRecordSchema.parse(JSON.parse(line)));
}
