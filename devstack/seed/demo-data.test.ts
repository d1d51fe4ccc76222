import { describe, expect, it } from 'vitest';
import { demoDocument, demoObjectId, demoKinds } from './demo-data';

describe('demo data', () => {
  it('is a pure function of (collection, index)', () => {
    expect(demoDocument('blog_posts', 4242)).toEqual(demoDocument('blog_posts', 4242));
    expect(demoDocument('blog_posts', 4242)).not.toEqual(demoDocument('blog_posts', 4243));
  });

  it('gives unique hs_object_ids that do not follow insertion order', () => {
    const ids = new Set<number>();
    let outOfOrder = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = demoObjectId('blog_posts', i);
      if (i > 0 && id < demoObjectId('blog_posts', i - 1)) outOfOrder++;
      ids.add(id);
    }
    expect(ids.size).toBe(100_000);
    expect(outOfOrder).toBeGreaterThan(10_000);
    // The four collections never share an id.
    const firsts = demoKinds.map((k) => demoObjectId(k, 0));
    expect(new Set(firsts).size).toBe(4);
  });

  it('contains the content real exports meet', () => {
    const docs = Array.from({ length: 2000 }, (_, i) => demoDocument('blog_posts', i));
    const titles = docs.map((d) => d.title);
    expect(titles.some((t) => t.includes(','))).toBe(true);
    expect(titles.some((t) => t.includes('"'))).toBe(true);
    expect(titles.some((t) => t.includes('\r\n'))).toBe(true);
    expect(titles.some((t) => /[\u3040-\u30ff]/.test(t))).toBe(true); // Japanese
    expect(titles.some((t) => /[\u0600-\u06ff]/.test(t))).toBe(true); // Arabic
    expect(titles.some((t) => /[\u0400-\u04ff]/.test(t))).toBe(true); // Cyrillic
    expect(titles.some((t) => /\p{Extended_Pictographic}/u.test(t))).toBe(true);
    for (const lead of ['=', '+', '-', '@']) expect(titles.some((t) => t.startsWith(lead))).toBe(true);
    expect(docs.some((d) => d.meta_description === undefined)).toBe(true);
    expect(docs.some((d) => d.meta_description === '')).toBe(true);
    expect(docs.some((d) => d.tags === undefined)).toBe(true);
    expect(docs.every((d) => d.html.length >= 1000)).toBe(true);
    expect(docs.reduce((sum, d) => sum + d.html.length, 0) / docs.length).toBeGreaterThan(2000);
  });
});
