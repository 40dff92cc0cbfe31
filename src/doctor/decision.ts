/**
 * The guide's "Decision Tree", walked with what the doctor measured instead of what a person
 * remembers: each question gets the measured answer, and the first branch that fails is the outcome.
 */
import type { Finding } from '../results/schema.js';
import type { DecisionStep, DoctorCheck } from './types.js';

export function decide(input: { checks: DoctorCheck[]; findings: Finding[]; hints: string[]; testMessages: number }): {
  decision: DecisionStep[];
  outcome: string;
} {
  const byId = new Map(input.checks.map((c) => [c.id, c]));
  const kind = (k: string): Finding | undefined => input.findings.find((f) => f.kind === k);
  const decision: DecisionStep[] = [];
  const outcomes: string[] = [];

  const stream = byId.get('stream');
  if (stream?.status === 'skip') {
    decision.push({ question: 'Does the endpoint serve SSE?', answer: `not known — ${stream.summary}` });
    return { decision, outcome: 'Stopped before the endpoint answered: nothing was measured.' };
  }
  if (stream?.status === 'fail') {
    decision.push({ question: 'Does the endpoint serve SSE?', answer: `no — ${stream.summary}` });
    return { decision, outcome: `SSE does not work at all here: ${stream.findings[0]?.remedy ?? 'check the route and the browser console'}.` };
  }
  decision.push({ question: 'Does the endpoint serve SSE?', answer: 'yes — 200 text/event-stream' });

  const limit = kind('time_limit');
  const onVercel = input.hints.some((h) => h.startsWith('Vercel')) || limit?.profile?.startsWith('vercel');
  if (onVercel) {
    const hobby = limit?.profile === 'vercel-hobby';
    decision.push({
      question: 'Is production on Vercel?',
      answer: hobby
        ? 'it behaves like Vercel Hobby (a 10 s cut) → "Won\'t work reliably, upgrade to Pro or switch to Pusher"'
        : limit?.profile === 'vercel-pro'
          ? 'it behaves like Vercel Pro → "Should work with maxDuration = 300", with reconnects every 300 s'
          : 'yes (from its headers)',
    });
  } else {
    decision.push({ question: 'Is production on Vercel?', answer: `no sign of it${input.hints.length > 0 ? ` (${input.hints.join(', ')})` : ''}` });
  }

  const test = byId.get('test-stream');
  const held = byId.get('held-stream');
  const idle = kind('idle_timeout');
  const testWorks = test?.status === 'pass';
  const testAnswer =
    test?.status === 'skip'
      ? `not available — ${test.summary}; the held stream ${held?.status === 'pass' ? 'stayed open instead' : held?.status === 'skip' ? 'was interrupted too' : 'was cut instead'}`
      : testWorks
        ? `yes — ${test?.summary}`
        : `no — ${test?.summary}`;
  decision.push({ question: `Does the test stream work for its ${input.testMessages} messages?`, answer: testAnswer });
  if (limit) outcomes.push(`Platform time limit: ${limit.remedy}.`);
  if (idle) outcomes.push(`Idle timeout: ${idle.remedy}.`);
  if (!limit && !idle && test?.status === 'fail') outcomes.push('Platform timeout issue: the guide recommends a WebSocket service (Pusher, Ably, Supabase Realtime) or a host without time limits.');

  const buffering = kind('buffering');
  decision.push({ question: 'Do events arrive as they are sent?', answer: buffering ? `no — ${buffering.title.toLowerCase()}` : byId.get('buffering')?.status === 'skip' ? 'not measured (no events)' : 'yes' });
  if (buffering) outcomes.push(`Buffering: ${buffering.remedy}.`);
  const compression = kind('compression');
  if (compression) outcomes.push(`Compression: ${compression.remedy}.`);

  const cors = byId.get('cors');
  decision.push({
    question: 'Getting CORS errors?',
    answer: cors?.status === 'skip' ? 'not checked (no --origin)' : cors?.status === 'fail' ? `yes — ${cors.summary}` : 'no',
  });
  if (kind('cors')) outcomes.push(`CORS: ${kind('cors')?.remedy}.`);

  if (outcomes.length === 0) {
    return { decision, outcome: 'SSE works here. If the app still misses events, check the event emission logic (the guide\'s "Yes → SSE works" branch).' };
  }
  outcomes.push('Still not working? Implement Pusher/Ably or the polling fallback (every 3 s).');
  return { decision, outcome: outcomes.join('\n') };
}
