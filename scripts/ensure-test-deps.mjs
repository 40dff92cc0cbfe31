// `npm test` starts real Chromium, nginx and Prometheus. When one is missing and we may install it
// (root, with apt-get, and STREAMSOAK_NO_APT unset), install it from Debian; otherwise say which
// tests will skip and how to get them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { bin: 'chromium', pkg: 'chromium' },
  { bin: 'nginx', pkg: 'nginx' },
  { bin: 'prometheus', pkg: 'prometheus' },
  { bin: 'docker-compose', pkg: 'docker-compose' },
  { bin: 'openssl', pkg: 'openssl' },
  // nginx's pub/sub module: a file, not a command.
  { file: '/usr/lib/nginx/modules/ngx_nchan_module.so', pkg: 'libnginx-mod-nchan' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
// nginx lives in /usr/sbin, which is not on every PATH.
const present = (bin) => has(bin) || has(`/usr/sbin/${bin}`);
const missing = needs.filter((need) => (need.file !== undefined ? !existsSync(need.file) : !present(need.bin)));

if (missing.length > 0) {
  const pkgs = missing.map((need) => need.pkg);
  const mayInstall = process.getuid?.() === 0 && has('apt-get') && !process.env.STREAMSOAK_NO_APT;
  if (mayInstall) {
    console.log(`streamsoak tests: installing ${pkgs.join(', ')} from Debian (set STREAMSOAK_NO_APT=1 to skip)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  } else {
    console.log(
      `streamsoak tests: ${pkgs.join(', ')} not installed; the integration tests that need them will say they skipped.\n` +
        `  install with: sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
}
