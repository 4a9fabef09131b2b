import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DOCS_DIR } from './config-reference.ts';

/** Inline links and images `[text](target "title")`, outside fenced code blocks. */
export function relativeLinks(markdown: string): string[] {
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const targets: string[] = [];
  for (const m of withoutFences.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    targets.push(target);
  }
  return targets;
}

const docs = readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md'));

describe('docs/*.md relative links', () => {
  it('finds the documentation set', () => {
    for (const name of ['architecture.md', 'configuration.md', 'spec.md', 'operations.md', 'security.md']) {
      assert.ok(docs.includes(name), `docs/${name} is missing`);
    }
  });

  it('extracts links but not URLs, anchors or code', () => {
    const md =
      '[a](x.md) [b](https://e.com) [c](#top) ![i](img/p.png "t")\n```\n[d](no.md)\n```\n[e](y.md#s)';
    assert.deepEqual(relativeLinks(md), ['x.md', 'img/p.png', 'y.md#s']);
  });

  for (const name of docs) {
    it(`every relative link in docs/${name} resolves to an existing file`, () => {
      const file = resolve(DOCS_DIR, name);
      const broken = relativeLinks(readFileSync(file, 'utf8')).filter((target) => {
        const path = decodeURIComponent(target.split('#', 1)[0]!);
        return path !== '' && !existsSync(resolve(dirname(file), path));
      });
      assert.deepEqual(broken, [], `docs/${name} links to missing files`);
    });
  }
});
