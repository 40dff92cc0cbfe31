/** The hosting-plan simulator (DESIGN.md, "Platform profiles"). */
export { startPlatformProxy, responseHeaders } from './proxy.js';
export type { PlatformProxy, PlatformProxyOptions, PlatformProxyStats } from './proxy.js';
export { MAX_FAULT_MS, networkFaultsSchema, parseNetworkFaults, parseByteSize, parseByteRate, formatByteRate } from './network-faults.js';
export type { NetworkFaults, NetworkFaultsInput } from './network-faults.js';
export { resolveProfiles, resolveProfileNames, composeProfiles, scaleProfile, loadProfileFile, parseProfileFile } from './profiles.js';
export { startNginx, findNginx, renderNginxTemplate } from './nginx.js';
export type { NginxOptions, NginxTemplate, RunningNginx } from './nginx.js';
