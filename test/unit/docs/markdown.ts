/** The README and docs/ as a test reads them: files, fenced code blocks, links and heading anchors. */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** README.md and every docs/**\/*.md, relative to the repository. */
export function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(path.join(dir, entry.name)) : entry.name.endsWith('.md') ? [path.join(dir, entry.name)] : [],
    );
  return ['README.md', ...walk('docs').sort()];
}

export const read = (file: string): string => readFileSync(path.join(REPO, file), 'utf8');

export interface CodeBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly text: string;
}

interface Scanned {
  readonly blocks: CodeBlock[];
  /** The lines outside fenced blocks, with their 1-based numbers. */
  readonly prose: { line: number; text: string }[];
}

export function scan(file: string, source = read(file)): Scanned {
  const blocks: CodeBlock[] = [];
  const prose: { line: number; text: string }[] = [];
  let open: { fence: string; lang: string; line: number; lines: string[] } | undefined;
  source.split('\n').forEach((text, index) => {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(text);
    if (open) {
      if (fence && fence[1]!.startsWith(open.fence) && text.trim() === fence[1]) {
        blocks.push({ file, line: open.line, lang: open.lang, text: open.lines.join('\n') });
        open = undefined;
      } else open.lines.push(text);
    } else if (fence) open = { fence: fence[1]!, lang: fence[2] ?? '', line: index + 1, lines: [] };
    else prose.push({ line: index + 1, text });
  });
  return { blocks, prose };
}

/** GitHub's anchor for a heading: inline markup dropped, lowercased, punctuation removed, spaces → '-'; repeats get -1, -2… */
export function anchors(file: string, source = read(file)): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text } of scan(file, source).prose) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const plain = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const match of source.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) result.add(match[1]!);
  return result;
}

export interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Markdown links and images outside code (fenced blocks and inline code spans). */
export function links(file: string, source = read(file)): Link[] {
  return scan(file, source).prose.flatMap(({ line, text }) =>
    [...text.replace(/`[^`]*`/g, '').matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({ file, line, target: match[1]! })),
  );
}
