import { describe, expect, it } from 'vitest';
import { summarySchema, type Summary } from '../../../src/results/schema.js';
import { escapeXml, formatJunit } from '../../../src/report/junit.js';
import { makeFixtureRun } from '../../fixtures/results/make-results.js';

const BASE = summarySchema.parse(makeFixtureRun().summary);

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML reader for the subset JUnit uses (declaration, elements, attributes, text):
 * it throws on anything not well-formed — unbalanced tags, a raw `<` or `&` in text or attributes,
 * an unknown entity — so the tests check that the output is real XML, not a look-alike.
 */
function parseXml(xml: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
  };
  const decode = (raw: string): string => {
    if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(raw)) fail(`unescaped markup in ${JSON.stringify(raw)}`);
    return raw.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name] as string);
  };
  if (xml.startsWith('<?xml')) at = xml.indexOf('?>') + 2;
  const skipSpace = (): void => {
    while (/\s/.test(xml[at] ?? '')) at++;
  };
  const element = (): XmlElement => {
    skipSpace();
    const open = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(at)) ?? fail('expected an element');
    at += open[0].length;
    const node: XmlElement = { name: open[1] as string, attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', at)) {
        at += 2;
        return node;
      }
      if (xml[at] === '>') {
        at++;
        break;
      }
      const attribute = /^([A-Za-z_][\w.-]*)="([^"]*)"/.exec(xml.slice(at)) ?? fail('bad attribute');
      if (attribute[1] as string in node.attributes) fail('duplicate attribute');
      node.attributes[attribute[1] as string] = decode(attribute[2] as string);
      at += attribute[0].length;
    }
    for (;;) {
      const next = xml.indexOf('<', at);
      if (next < 0) fail('unclosed element');
      node.text += decode(xml.slice(at, next));
      at = next;
      if (xml.startsWith(`</${node.name}>`, at)) {
        at += node.name.length + 3;
        return node;
      }
      if (xml.startsWith('</', at)) fail(`mismatched close for <${node.name}>`);
      node.children.push(element());
    }
  };
  const root = element();
  if (xml.slice(at).trim() !== '') fail('content after the root element');
  return root;
}

describe('formatJunit', () => {
  it('writes well-formed JUnit XML with one test case per threshold', () => {
    const root = parseXml(formatJunit(BASE));
    expect(root.name).toBe('testsuites');
    const suite = root.children.find((child) => child.name === 'testsuite');
    const cases = suite?.children.filter((child) => child.name === 'testcase') ?? [];
    expect(cases.map((testcase) => testcase.attributes.name)).toEqual(['sse_event_latency: p(95)<500', 'sse_drops: count==0', 'sse_connect_failures: rate<0.01']);
    expect(suite?.attributes.tests).toBe('3');
    expect(suite?.attributes.failures).toBe('2');
    expect(root.attributes.failures).toBe('2');
  });

  it('gives a failed threshold a failure with its expression and actual value', () => {
    const root = parseXml(formatJunit(BASE));
    const cases = root.children[0]?.children.filter((child) => child.name === 'testcase') ?? [];
    expect(cases[0]?.children).toEqual([]);
    const failure = cases[1]?.children[0];
    expect(failure?.name).toBe('failure');
    expect(failure?.attributes.message).toBe(`sse_drops count==0 failed: actual ${BASE.thresholds[1]?.actual}`);
    expect(failure?.text).toMatch(/expression: count==0/);
  });

  it('escapes markup, quotes and control characters from any field', () => {
    const nasty: Summary = {
      ...BASE,
      runId: 'a<b>&"c"\'d\u0001',
      target: { baseUrl: 'http://127.0.0.1/?a=1&b=<2>' },
      thresholds: [{ metric: 'sse_event_latency', expression: 'p(95)<500 && "x"', ok: false, actual: null, abortOnFail: true }],
    };
    const xml = formatJunit(nasty);
    const root = parseXml(xml);
    const suite = root.children[0];
    expect(suite?.attributes.name).toBe('streamsoak thresholds (a<b>&"c"\'d\uFFFD)');
    expect(suite?.children[0]?.children.find((p) => p.attributes.name === 'target')?.attributes.value).toBe('http://127.0.0.1/?a=1&b=<2>');
    expect(suite?.children[1]?.children[0]?.attributes.message).toBe('sse_event_latency p(95)<500 && "x" failed: actual no value');
  });

  it('writes an empty suite when the plan set no thresholds', () => {
    const root = parseXml(formatJunit({ ...BASE, thresholds: [] }));
    expect(root.attributes.tests).toBe('0');
    expect(root.children[0]?.children.filter((child) => child.name === 'testcase')).toEqual([]);
  });
});

describe('escapeXml', () => {
  it('replaces characters XML 1.0 cannot carry', () => {
    expect(escapeXml('a\u0000b\u001Fc\uD800d\tok')).toBe('a\uFFFDb\uFFFDc\uFFFDd\tok');
  });
});
