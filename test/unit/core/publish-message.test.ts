import { describe, expect, it } from 'vitest';
import { findMessages, formatMessageId, isPublishTag, renderPublishBody } from '../../../src/core/publish-message.js';

const T = 1_796_413_687_123;

describe('published message ids', () => {
  it('say which run sent a message, its number and its intended send time, and are found again in any body', () => {
    const id = formatMessageId('a1b2c3d4', { seq: 42, intendedAtMs: T + 0.4 });
    expect(id).toBe(`ssa1b2c3d4-42-${T}`);
    expect(isPublishTag('a1b2c3d4')).toBe(true);
    // JSON, a nested field, escaped in a string, or next to other text: found by the id itself.
    for (const data of [`{"id":"${id}"}`, `{"data":{"id":"${id}","n":42}}`, `"{\\"id\\":\\"${id}\\"}"`, `msg ${id} end`]) {
      expect(findMessages(data, 'a1b2c3d4')).toEqual([{ seq: 42, intendedAtMs: T }]);
    }
  });

  it("finds several messages in one event, each once, and ignores another run's", () => {
    const data = `${formatMessageId('aaaa1111', { seq: 1, intendedAtMs: T })} ${formatMessageId('aaaa1111', { seq: 2, intendedAtMs: T + 250 })} ${formatMessageId('aaaa1111', { seq: 1, intendedAtMs: T })} ${formatMessageId('bbbb2222', { seq: 3, intendedAtMs: T })}`;
    expect(findMessages(data, 'aaaa1111')).toEqual([{ seq: 1, intendedAtMs: T }, { seq: 2, intendedAtMs: T + 250 }]);
    expect(findMessages('ssaaaa1111-x-1 ssaaaa1111-5-12', 'aaaa1111')).toEqual([]);
  });

  it('fills every placeholder of a body template', () => {
    const body = renderPublishBody('{"id":"{{id}}","seq":{{seq}},"sentAt":{{sentAt}},"to":"{{user}}","again":"{{id}}"}', 'tag1', { seq: 7, intendedAtMs: T }, 'u-3');
    expect(JSON.parse(body)).toEqual({ id: `sstag1-7-${T}`, seq: 7, sentAt: T, to: 'u-3', again: `sstag1-7-${T}` });
  });
});
