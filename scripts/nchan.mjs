// `npm run nchan`: nginx with nchan, its pub/sub module, on 127.0.0.1:8091 (or NCHAN_PORT), as a
// target to try streamsoak on someone else's SSE server: subscribers GET /sub/<channel>, publishers
// POST /pub/<channel>. Debian's nginx and libnginx-mod-nchan, started in the foreground with its own
// temporary prefix; Ctrl-C stops it. See README.md, "Load-test your own app".
import { startNginx } from '../dist/platform/index.js';

const port = Number(process.env.NCHAN_PORT ?? 8091);
let nchan;
try {
  nchan = await startNginx({ template: 'nchan', port, messageBuffer: 1000 });
} catch (error) {
  console.error(`nchan: ${error.message}`);
  process.exit(2);
}
console.log(`nchan on ${nchan.url}: subscribe at ${nchan.url}/sub/<channel>, publish at ${nchan.url}/pub/<channel> (Ctrl-C stops it)`);
const stop = async () => {
  await nchan.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
