import { describe, expect, it } from 'vitest';
import { classifyTransportError } from '../../../scenarios/lib/transport-errors.js';
import { connectFailure } from '../../../scenarios/lib/sse-connection.js';

describe('classifyTransportError (Go error strings from k6 and xk6-sse)', () => {
  it.each([
    ['dial tcp 127.0.0.1:3000: connect: connection refused', 'refused'],
    ['read tcp 127.0.0.1:51234->127.0.0.1:3000: read: connection reset by peer', 'reset'],
    ['unexpected EOF', 'reset'],
    ['dial tcp 10.0.0.1:443: i/o timeout', 'connect_timeout'],
    ['context deadline exceeded (Client.Timeout exceeded while awaiting headers)', 'connect_timeout'],
    ['net/http: timeout awaiting response headers', 'headers_timeout'],
    ['dial tcp 127.0.0.1:3000: socket: too many open files', 'client_fd_limit'],
    ['dial tcp 127.0.0.1:3000: connect: cannot assign requested address', 'client_ports_exhausted'],
    ['something nobody anticipated', 'reset'],
  ])('%s → %s', (message, reason) => {
    expect(classifyTransportError(message)).toBe(reason);
  });
});

describe('connectFailure (did this response open a stream?)', () => {
  const sse = { 'Content-Type': 'text/event-stream; charset=utf-8' };
  it.each([
    [{ status: 200, headers: sse, error: '' }, true, undefined],
    [{ status: 200, headers: { 'Content-Type': 'text/html' }, error: '' }, true, 'bad_content_type'],
    [{ status: 204, headers: {}, error: '' }, true, 'http_204'],
    [{ status: 401, headers: {}, error: '' }, true, 'http_401'],
    [{ status: 429, headers: {}, error: '' }, true, 'http_429'],
    [{ status: 503, headers: {}, error: '' }, true, 'http_5xx'],
    [{ status: 0, headers: {}, error: 'dial tcp: connection refused' }, false, 'refused'],
  ] as const)('%j → %s', (response, sawHeaders, reason) => {
    expect(connectFailure(response, sawHeaders)).toBe(reason);
  });
});
