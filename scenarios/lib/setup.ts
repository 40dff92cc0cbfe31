/**
 * The `setup()` the latency-measuring scenarios export: estimates the target's clock once, before
 * the VUs start; k6 hands the result to every iteration and to handleSummary (`setup_data`).
 */
import http from 'k6/http';
import { estimateClock, type ClockEstimate } from './clock.js';
import { targetBaseUrl } from './env.js';

export interface SetupData {
  clock: ClockEstimate;
}

export function setupClock(): SetupData {
  const baseUrl = targetBaseUrl();
  const clock = estimateClock(baseUrl, () => {
    const sentAt = Date.now();
    const res = http.get(`${baseUrl}/api/time`, { timeout: '5s', tags: { name: '/api/time' } });
    return { sentAt, receivedAt: Date.now(), status: res.status, body: typeof res.body === 'string' ? res.body : '' };
  });
  return { clock };
}
