/**
 * Reading what a run wrote into its results folder, validated against the published schemas.
 *
 * An independent oracle, on purpose not `src/results/reader.ts`'s `readConnectionRecords` (as
 * `scripts/soak.mjs` reads results on its own): the tests that use it check the harness's
 * conservation (every attempt has exactly one record), and a bug in the product reader (a line
 * skipped, a stream cut short) must not be able to hide a lost record by sharing the code that
 * checks it. It is also strict where the product is lenient: the product reader yields nothing for
 * a missing `connections.ndjson` (right for a k6 run, which writes none); this one fails, since a
 * Node engine run always writes it.
 */
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
