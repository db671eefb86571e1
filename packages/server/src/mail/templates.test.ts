import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { builtInTemplatesDir, loadTemplates, TemplateError } from './templates.js';

const SITE = { site_name: 'Acme', public_url: 'https://auth.acme.example' };

describe('mail templates', () => {
  let builtIn: string;
  let overrides: string;
  beforeEach(() => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-templates-'));
    builtIn = path.join(root, 'built-in');
    overrides = path.join(root, 'overrides');
    fs.mkdirSync(builtIn);
    fs.mkdirSync(overrides);
    write(
      builtIn,
      'reset.txt',
      'Subject: Reset your {{site_name}} password\n\nHello {{ name }},\nopen {{link}}\n',
    );
    write(builtIn, 'reset.html', '<p>Hello {{name}}, <a href="{{link}}">reset</a> ({{site_name}})</p>\n');
  });
  afterEach(() => {
    fs.rmSync(path.dirname(builtIn), { recursive: true, force: true });
  });
  const write = (dir: string, name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

  test('subject, text and HTML, with the variables filled in, escaped in the HTML only', () => {
    const templates = loadTemplates(undefined, builtIn);
    const variables = { ...SITE, name: 'Tom & "Jerry" <x>', link: 'https://a.example/r#token=a&b' };
    expect(templates.render('reset', variables)).toEqual({
      subject: 'Reset your Acme password',
      text: 'Hello Tom & "Jerry" <x>,\nopen https://a.example/r#token=a&b\n',
      html: '<p>Hello Tom &#38; &#34;Jerry&#34; &#60;x&#62;, <a href="https://a.example/r#token=a&#38;b">reset</a> (Acme)</p>\n',
    });
    expect(templates.has('reset')).toBe(true);
    expect(templates.has('other')).toBe(false);
  });

  test('a missing variable is an error, never an empty string; so is a kind with no template', () => {
    const templates = loadTemplates(undefined, builtIn);
    expect(() => templates.render('reset', { ...SITE, name: 'Tom' })).toThrow(/no value for \{\{link\}\}/);
    expect(() => templates.render('reset', { ...SITE, name: 'Tom' })).toThrow(TemplateError);
    expect(() => templates.render('other', SITE)).toThrow('no mail template for the kind other');
  });

  test('a value never adds a header line to the subject', () => {
    write(builtIn, 'hi.txt', 'Subject: Hi {{name}}\n\nbody\n');
    expect(
      loadTemplates(undefined, builtIn).render('hi', { ...SITE, name: 'x\r\nBcc: e@evil.example' }).subject,
    ).toBe('Hi x Bcc: e@evil.example');
  });

  test('an override replaces the built-in file it names, and only that one; CRLF files are read alike', () => {
    write(overrides, 'reset.txt', 'Subject: {{site_name}}: new password\r\n\r\nGo to {{link}}\r\n');
    write(overrides, 'README.md', 'not a template');
    const rendered = loadTemplates(overrides, builtIn).render('reset', { ...SITE, name: 'Tom', link: 'L' });
    expect(rendered.subject).toBe('Acme: new password');
    expect(rendered.text).toBe('Go to L\n');
    expect(rendered.html).toBe('<p>Hello Tom, <a href="L">reset</a> (Acme)</p>\n');
  });

  test('overrides are checked when loaded: the subject line, placeholders, variables, the folder', () => {
    const load = () => loadTemplates(overrides, builtIn);
    write(overrides, 'reset.txt', 'Reset your password\n\nbody\n');
    expect(load).toThrow(/reset\.txt: expected "Subject: …" on the first line, then a blank line/);
    write(overrides, 'reset.txt', 'Subject: Reset\nbody right away\n');
    expect(load).toThrow(/then a blank line/);
    write(overrides, 'reset.txt', 'Subject: Reset\n\nOpen {{ link }\n');
    expect(load).toThrow(/reset\.txt: a malformed placeholder near line 1/);
    write(overrides, 'reset.txt', 'Subject: Reset\n\nOpen {{Link}}\n');
    expect(load).toThrow(/malformed placeholder/);
    write(overrides, 'reset.txt', 'Subject: Reset\n\nOpen {{link}} as {{username}}\n');
    expect(load).toThrow(
      /reset\.txt: no variable \{\{username\}\} in a reset message \(it has .*\{\{link\}\}/,
    );
    fs.rmSync(path.join(overrides, 'reset.txt'));
    write(overrides, 'lonely.html', '<p>no text</p>');
    expect(load).toThrow('mail template lonely: lonely.html has no lonely.txt');
    expect(() => loadTemplates(path.join(overrides, 'missing'), builtIn)).toThrow(/no such folder/);
  });

  test('the built-in templates all parse, and the test kind renders from site_name and public_url alone', () => {
    const templates = loadTemplates(undefined, builtInTemplatesDir());
    const rendered = templates.render('test', SITE);
    expect(rendered.subject).toBe('Test message from Acme');
    expect(rendered.html).toContain('<a href="https://auth.acme.example">https://auth.acme.example</a>');
  });
});
