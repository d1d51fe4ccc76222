import type { CollectionInput } from '../typesense/schema';

/**
 * Deterministic HubSpot-like demo content. Everything is a pure function of (collection, index): the same
 * index always yields the same document, so tests can rebuild the exact expected record with
 * `demoDocument(kind, i)` instead of trusting the server.
 *
 * The content deliberately includes what real exports meet: commas, double quotes, CR/LF inside values,
 * Japanese / Arabic / Cyrillic text and emoji, empty strings, missing optional fields (`meta_description`,
 * `tags`), and values starting with `=`, `+`, `-`, `@` (CSV formula injection).
 */

export const demoKinds = ['blog_posts', 'site_pages', 'landing_pages', 'partner_blog_posts'] as const;
export type DemoKind = (typeof demoKinds)[number];

/** Organisation (HubSpot portal) of each demo collection; partner_* belongs to a second organisation. */
export const DEMO_PORTAL_ID = 12345;
export const PARTNER_PORTAL_ID = 67890;

type KindSpec = { portalId: number; idBase: number; host: string; salt: number; defaultCount: number };

const kinds: Record<DemoKind, KindSpec> = {
  blog_posts: {
    portalId: DEMO_PORTAL_ID,
    idBase: 10_000_000_000,
    host: 'blog.acme-demo.com',
    salt: 0x9e3779b1,
    defaultCount: 100_000,
  },
  site_pages: {
    portalId: DEMO_PORTAL_ID,
    idBase: 20_000_000_000,
    host: 'www.acme-demo.com',
    salt: 0x85ebca77,
    defaultCount: 5_000,
  },
  landing_pages: {
    portalId: DEMO_PORTAL_ID,
    idBase: 30_000_000_000,
    host: 'go.acme-demo.com',
    salt: 0xc2b2ae3d,
    defaultCount: 2_000,
  },
  partner_blog_posts: {
    portalId: PARTNER_PORTAL_ID,
    idBase: 40_000_000_000,
    host: 'blog.partner-demo.org',
    salt: 0x27d4eb2f,
    defaultCount: 1_000,
  },
};

export function defaultDemoCount(kind: DemoKind): number {
  return kinds[kind].defaultCount;
}

/** The same schema for every demo collection; `hs_object_id` is the unique sortable export key. */
export function demoCollectionSchema(kind: DemoKind): CollectionInput {
  return {
    name: kind,
    fields: [
      { name: 'hs_object_id', type: 'int64' },
      { name: 'portal_id', type: 'int64', facet: true },
      { name: 'title', type: 'string', sort: true },
      { name: 'slug', type: 'string' },
      { name: 'url', type: 'string' },
      { name: 'state', type: 'string', facet: true },
      { name: 'author_name', type: 'string', facet: true },
      { name: 'language', type: 'string', facet: true },
      { name: 'tags', type: 'string[]', facet: true, optional: true },
      { name: 'created_at', type: 'int64' },
      { name: 'updated_at', type: 'int64' },
      { name: 'publish_date', type: 'int64' },
      { name: 'meta_description', type: 'string', optional: true },
      { name: 'archived', type: 'bool', facet: true },
      { name: 'word_count', type: 'int32' },
      { name: 'engagement_score', type: 'float' },
      { name: 'html', type: 'string', index: false, optional: true },
    ],
  };
}

export type DemoDocument = {
  id: string;
  hs_object_id: number;
  portal_id: number;
  title: string;
  slug: string;
  url: string;
  state: 'PUBLISHED' | 'DRAFT' | 'SCHEDULED';
  author_name: string;
  language: string;
  tags?: string[];
  created_at: number;
  updated_at: number;
  publish_date: number;
  meta_description?: string;
  archived: boolean;
  word_count: number;
  engagement_score: number;
  html: string;
};

/** mulberry32: tiny, fast, good enough for demo data; seeded per document. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from empty list');
  return item;
}

/**
 * hs_object_id for index i: unique, sparse (step 7) and shuffled within blocks of 1,000 (7,919 is prime,
 * so i ↦ i·7919 mod 1000 is a bijection on each block). Insertion order therefore differs from key order,
 * which is what makes keyset-by-key tests meaningful, while the key still grows block by block.
 */
export function demoObjectId(kind: DemoKind, index: number): number {
  const block = Math.floor(index / 1000);
  const inBlock = ((index % 1000) * 7919) % 1000;
  return kinds[kind].idBase + (block * 1000 + inBlock) * 7 + 3;
}

const topics = [
  'Inbound marketing',
  'Sales enablement',
  'Customer success',
  'Email deliverability',
  'SEO basics',
  'Content strategy',
  'Marketing automation',
  'Lead scoring',
  'CRM hygiene',
  'Webinar playbook',
  'Landing page tests',
  'Social selling',
  'Pricing pages',
  'Onboarding flows',
  'Churn reduction',
] as const;

const titleTemplates: ReadonlyArray<(topic: string, n: number) => string> = [
  (t, n) => `${t}: ${n} lessons we learned the hard way`,
  (t) => `How to get started with ${t.toLowerCase()}`,
  (t, n) => `${t}, explained in ${n} minutes`,
  (t) => `The "${t}" checklist for 2025`,
  (t) => `Why ${t.toLowerCase()} matters (and what to do next)`,
  (t, n) => `${n} ways to improve ${t.toLowerCase()}, without a bigger budget`,
];

/** Titles that exercise CSV/JSON edge cases; chosen for roughly 1 document in 8. */
const trickyTitles = [
  '=HYPERLINK("http://evil.example","click me")',
  '+1 (555) 010-9999: call us today',
  '-20% off everything, this week only',
  '@channel: release notes, "v2.0"',
  'Line one\r\nLine two, with a comma',
  'Quote "inside" a title, and a comma',
  'マーケティングオートメーション入門 🚀',
  'دليل التسويق الداخلي للمبتدئين',
  'Руководство по входящему маркетингу',
  'Emoji party 🎉🔥👩‍💻 and a tab\there',
  'Trailing spaces and a semicolon;   ',
  'Ünïcödé àccents, naïve café, Straße',
] as const;

const authors = [
  'Alice Martin',
  'Bob Nguyen',
  'Chloé Dubois',
  'Dmitri Ivanov',
  'Emi Tanaka',
  'Fatima Al-Sayed',
  "Grace O'Neil",
  'Hugo "Hutch" Hutchinson',
  'Inès García, PhD',
  '山田 太郎',
  'Олег Петров',
  '@marketing-team',
] as const;

const languages = ['en', 'en', 'en', 'en', 'fr', 'de', 'es', 'ja', 'ar', 'ru'] as const;
const states = ['PUBLISHED', 'PUBLISHED', 'PUBLISHED', 'PUBLISHED', 'DRAFT', 'SCHEDULED'] as const;
const tagPool = [
  'marketing',
  'sales',
  'service',
  'crm',
  'seo',
  'email',
  'automation',
  'how-to',
  'case study',
  'news, updates',
  'ai',
  'b2b',
  '日本語',
  'عربي',
  'русский',
  '🚀 launch',
  '=SUM(A1:A2)',
  '',
] as const;

const paragraphs = [
  'Every growing team eventually hits the same wall: the spreadsheet that used to hold every lead is now three spreadsheets, and nobody trusts any of them. The fix is rarely a new tool; it is agreeing on what a lead is, who owns it, and when it moves.',
  'We interviewed 42 customers, read 1,300 support tickets, and sat in on a dozen onboarding calls. The pattern was clear — people did not churn because the product was missing features, they churned because nobody showed them the three features that mattered.',
  'Start small. Pick one workflow, measure it for two weeks, then automate the boring half. "Automate everything" is how you end up with 400 workflows that email the same person five times on a Tuesday.',
  'A good landing page answers three questions in under five seconds: what is this, why should I care, and what do I do next? If your hero section needs a scroll to answer any of them, rewrite it.',
  'Search engines reward pages that answer a question completely. That means headings that match how people ask, a summary up top, and details below — not 2,000 words of throat-clearing before the answer.',
  'Deliverability is a reputation game. Clean lists, consistent volume, authenticated domains (SPF, DKIM, DMARC) and content people actually open. Buying lists is the fastest way to lose all four.',
  'Lead scoring works when sales and marketing build it together. Give points for fit (company size, role, industry) and for intent (pricing page visits, demo requests), and subtract points for silence.',
  'マーケティングの基本は、顧客の課題を理解することです。コンテンツは質問に答え、信頼を築き、次の一歩を示すべきです。',
  'التسويق الداخلي يعني جذب العملاء بمحتوى مفيد بدلاً من مقاطعتهم بالإعلانات. ابدأ بفهم أسئلة جمهورك.',
  'Входящий маркетинг привлекает клиентов полезным контентом, а не навязчивой рекламой. Начните с вопросов, которые задают ваши клиенты.',
  'Pro tip 💡: write the email subject line last. By then you know what the email is actually about — and your open rate will thank you 📈.',
  'Our quarterly numbers, in short: revenue +18%, churn -2.1 points, NPS 61. The long version, with charts and caveats, is linked below; the caveats matter more than the charts.',
] as const;

function htmlBody(rand: () => number, title: string): string {
  // 8-14 paragraphs: ~2.1 KB of html on average, 1 KB at least ("a few KB", like a short real post).
  const count = 8 + Math.floor(rand() * 7);
  const parts = [`<h1>${escapeHtml(title)}</h1>`];
  for (let p = 0; p < count; p++) {
    if (p === 2) parts.push(`<h2>${escapeHtml(pick(rand, topics))}</h2>`);
    parts.push(`<p>${escapeHtml(pick(rand, paragraphs))}</p>`);
  }
  // Real HubSpot bodies keep the editor's line breaks, sometimes Windows-style.
  return parts.join(rand() < 0.2 ? '\r\n' : '\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function slugify(text: string, id: number): string {
  const base = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${base === '' ? 'post' : base}-${id}`;
}

/** 2023-01-01T00:00:00Z; demo timestamps spread over the ~3 years after it. */
const EPOCH_START_MS = 1_672_531_200_000;
const THREE_YEARS_MS = 3 * 365 * 24 * 3600 * 1000;

/** The exact document the seed stores for `index` (0-based) of `kind`. */
export function demoDocument(kind: DemoKind, index: number): DemoDocument {
  const spec = kinds[kind];
  const rand = prng((Math.imul(index + 1, 0x01000193) ^ spec.salt) >>> 0);
  const objectId = demoObjectId(kind, index);
  const topic = pick(rand, topics);
  const tricky = rand() < 0.125;
  const title = tricky ? pick(rand, trickyTitles) : pick(rand, titleTemplates)(topic, 3 + Math.floor(rand() * 12));
  const slug = slugify(title, objectId);
  const createdAt = EPOCH_START_MS + Math.floor(rand() * THREE_YEARS_MS);
  const updatedAt = createdAt + Math.floor(rand() * 90 * 24 * 3600 * 1000);
  const state = pick(rand, states);
  const publishDate = state === 'DRAFT' ? 0 : createdAt + Math.floor(rand() * 7 * 24 * 3600 * 1000);
  const html = htmlBody(rand, title);

  const doc: DemoDocument = {
    id: String(objectId),
    hs_object_id: objectId,
    portal_id: spec.portalId,
    title,
    slug,
    url: `https://${spec.host}/${slug}`,
    state,
    author_name: pick(rand, authors),
    language: pick(rand, languages),
    created_at: createdAt,
    updated_at: updatedAt,
    publish_date: publishDate,
    archived: rand() < 0.1,
    word_count: 150 + Math.floor(rand() * 2500),
    engagement_score: Math.round(rand() * 10_000) / 100,
    html,
  };
  // About 1 in 6 has no tags at all (field absent), 1 in 10 has no meta description, 1 in 20 an empty one.
  const tagRoll = rand();
  if (tagRoll >= 1 / 6) {
    const n = 1 + Math.floor(rand() * 4);
    const tags = new Set<string>();
    for (let t = 0; t < n; t++) tags.add(pick(rand, tagPool));
    doc.tags = [...tags];
  }
  const metaRoll = rand();
  if (metaRoll >= 0.15) {
    doc.meta_description = `${pick(rand, paragraphs).slice(0, 150)}`;
  } else if (metaRoll >= 0.1) {
    doc.meta_description = '';
  }
  return doc;
}
