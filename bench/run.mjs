// `npm run bench [name...]`: runs each bench/<name>.bench.mjs in its own process, one after the
// other (they measure memory and throughput, so they must not share a process or overlap), after
// printing the machine's context. Benches import the compiled code from dist/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.mjs'))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();

const cpu = os.cpus()[0];
console.log('# streamsoak bench');
console.log(
  `machine: ${os.cpus().length} × ${cpu?.model ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${os.platform()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
console.log(`date: ${new Date().toISOString()}\n`);

let failed = 0;
for (const file of benches) {
  console.log(`## ${file.replace('.bench.mjs', '')}`);
  const result = spawnSync(process.execPath, ['--expose-gc', `${dir}${file}`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`(${file} exited with ${result.status ?? result.signal})`);
  }
  console.log('');
}
process.exitCode = failed > 0 ? 1 : 0;
