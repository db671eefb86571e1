import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MailKind } from './message.js';

/**
 * Mail templates, one pair of files per kind of message: `<kind>.txt`, whose first line is
 * `Subject: …`, then a blank line, then the plain-text body; and `<kind>.html`, the HTML body. `{{name}}`
 * is replaced by the variable `name` (HTML-escaped in the .html file); `site_name` and `public_url` are
 * always given. A folder of the deployer's (GATEHOUSE_MAIL_TEMPLATES) replaces the built-in files one by
 * one; each of its files is checked when the server starts.
 */
export interface MailTemplates {
  /** Throws a TemplateError when the kind has no template or a variable it names has no value. */
  render(kind: MailKind, variables: Readonly<Record<string, string>>): RenderedMail;
  has(kind: MailKind): boolean;
}

export interface RenderedMail {
  subject: string;
  text: string;
  /** Undefined when the kind has no .html file. */
  html: string | undefined;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** The variables every template may use, whatever its kind. */
export const ALWAYS_AVAILABLE = ['site_name', 'public_url'] as const;

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g;

type Part = string | { name: string };
interface Template {
  file: string;
  parts: Part[];
}
interface Kind {
  subject?: Template;
  text?: Template;
  html?: Template;
}

/**
 * Where the built-in files are: beside this module in the sources and in tsc's output (dist/mail/), and
 * under dist/mail/ for the bundle (dist/serve.bundle.js), where the build copies them.
 */
export function builtInTemplatesDir(): string {
  const candidates = ['./templates/', './mail/templates/'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'test.txt')));
  if (found === undefined) {
    throw new Error(`mail: the built-in templates are missing (looked in ${candidates.join(', ')})`);
  }
  return found;
}

/**
 * Reads and checks every template: the built-in ones, then the overrides of `overridesDir`. An override
 * that does not parse, or uses a variable the built-in template of its kind does not have, is an error
 * here, when the server starts, rather than when a message is sent.
 */
export function loadTemplates(
  overridesDir: string | undefined,
  builtInDir = builtInTemplatesDir(),
): MailTemplates {
  const kinds = new Map<string, Kind>();
  const builtInVariables = new Map<string, Set<string>>();
  for (const file of templateFiles(builtInDir)) {
    const { kind, templates } = readTemplate(file);
    const entry = kinds.get(kind) ?? {};
    Object.assign(entry, templates);
    kinds.set(kind, entry);
    const names = builtInVariables.get(kind) ?? new Set<string>(ALWAYS_AVAILABLE);
    for (const template of Object.values(templates))
      for (const name of variablesOf(template)) names.add(name);
    builtInVariables.set(kind, names);
  }
  if (overridesDir !== undefined) {
    if (!fs.statSync(overridesDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new TemplateError(`GATEHOUSE_MAIL_TEMPLATES=${overridesDir}: no such folder`);
    }
    for (const file of templateFiles(overridesDir)) {
      const { kind, templates } = readTemplate(file);
      const known = builtInVariables.get(kind);
      if (known !== undefined) {
        for (const template of Object.values(templates)) {
          const unknown = variablesOf(template).filter((name) => !known.has(name));
          if (unknown.length > 0) {
            throw new TemplateError(
              `${file}: no variable ${unknown.map((name) => `{{${name}}}`).join(', ')} in a ${kind} message ` +
                `(it has ${[...known].map((name) => `{{${name}}}`).join(', ')})`,
            );
          }
        }
      }
      kinds.set(kind, { ...kinds.get(kind), ...templates });
    }
  }
  for (const [kind, entry] of kinds) {
    if (entry.text === undefined)
      throw new TemplateError(`mail template ${kind}: ${kind}.html has no ${kind}.txt`);
  }

  return {
    has: (kind) => kinds.has(kind),
    render(kind, variables) {
      const entry = kinds.get(kind);
      if (entry?.subject === undefined || entry.text === undefined) {
        throw new TemplateError(`no mail template for the kind ${kind}`);
      }
      return {
        // A header: a value never breaks it into another line.
        subject: fill(entry.subject, variables, (value) => value.replace(/[\r\n]+/g, ' ')).trim(),
        text: fill(entry.text, variables, (value) => value),
        html: entry.html && fill(entry.html, variables, escapeHtml),
      };
    },
  };
}

function templateFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /^[a-z0-9_-]+\.(txt|html)$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

function readTemplate(file: string): { kind: string; templates: Kind } {
  const ext = path.extname(file);
  const kind = path.basename(file, ext);
  const source = fs.readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
  if (ext === '.html') return { kind, templates: { html: parse(file, source) } };
  const [first = '', second, ...rest] = source.split('\n');
  const subject = /^Subject:[ \t]*(\S.*)$/i.exec(first)?.[1];
  if (subject === undefined || second?.trim() !== '') {
    throw new TemplateError(
      `${file}: expected "Subject: …" on the first line, then a blank line, then the body`,
    );
  }
  return {
    kind,
    templates: { subject: parse(file, subject), text: parse(file, rest.join('\n')) },
  };
}

function parse(file: string, source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    parts.push(source.slice(last, match.index), { name: match[1] as string });
    last = match.index + match[0].length;
  }
  parts.push(source.slice(last));
  for (const part of parts) {
    if (typeof part === 'string' && /\{\{|\}\}/.test(part)) {
      const line = source.slice(0, source.indexOf(part)).split('\n').length;
      throw new TemplateError(
        `${file}: a malformed placeholder near line ${line} (expected {{name}}, lower case letters, digits and _)`,
      );
    }
  }
  return { file, parts: parts.filter((part) => part !== '') };
}

function variablesOf(template: Template): string[] {
  return template.parts.flatMap((part) => (typeof part === 'string' ? [] : [part.name]));
}

function fill(
  template: Template,
  variables: Readonly<Record<string, string>>,
  encode: (value: string) => string,
) {
  return template.parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const value = Object.hasOwn(variables, part.name) ? variables[part.name] : undefined;
      // A missing value is a bug of the composer or the template: never a message with a hole in it.
      if (value === undefined) throw new TemplateError(`${template.file}: no value for {{${part.name}}}`);
      return encode(value);
    })
    .join('');
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
