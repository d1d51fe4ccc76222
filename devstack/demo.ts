import type { Pool } from 'pg';
import { createUser } from './auth/users';
import type { DevstackContext } from './context';
import { DEMO_PORTAL_ID, PARTNER_PORTAL_ID } from './seed/demo-data';
import { seedDemoData } from './seed/seed-demo-data';

/**
 * The demo tenants: an agency with the big collections (and a viewer of it, for roles), and a second
 * agency with its own collection, so isolation can be seen (and is tested). Fixed ids keep every start
 * idempotent.
 */
export const demoUsers = [
  {
    email: 'demo@baton.local',
    password: 'baton-demo-password',
    role: 'member',
    organisation: 'Acme Digital Agency',
    organisationId: '0b5e6a9e-0000-4000-a000-000000000001',
    sources: [
      { collection: 'blog_posts', label: 'Blog posts', filter: `portal_id:=${DEMO_PORTAL_ID}` },
      { collection: 'site_pages', label: 'Site pages', filter: `portal_id:=${DEMO_PORTAL_ID}` },
      { collection: 'landing_pages', label: 'Landing pages', filter: `portal_id:=${DEMO_PORTAL_ID}` },
    ],
  },
  {
    email: 'partner@baton.local',
    password: 'baton-partner-password',
    role: 'member',
    organisation: 'Partner Agency',
    organisationId: '0b5e6a9e-0000-4000-a000-000000000002',
    sources: [
      { collection: 'partner_blog_posts', label: 'Partner blog posts', filter: `portal_id:=${PARTNER_PORTAL_ID}` },
    ],
  },
  // A viewer of the first agency: sees and downloads its exports, cannot start, cancel or re-run them.
  {
    email: 'viewer@baton.local',
    password: 'baton-viewer-password',
    role: 'viewer',
    organisation: 'Acme Digital Agency',
    organisationId: '0b5e6a9e-0000-4000-a000-000000000001',
    sources: [],
  },
  // Support of the first agency: everything a member may, and its system health (/system).
  {
    email: 'support@baton.local',
    password: 'baton-support-password',
    role: 'support',
    organisation: 'Acme Digital Agency',
    organisationId: '0b5e6a9e-0000-4000-a000-000000000001',
    sources: [],
  },
  // An admin of the first agency: everything support may, and its settings (/settings: retention,
  // approvals of large exports, API tokens, webhooks).
  {
    email: 'admin@baton.local',
    password: 'baton-admin-password',
    role: 'admin',
    organisation: 'Acme Digital Agency',
    organisationId: '0b5e6a9e-0000-4000-a000-000000000001',
    sources: [],
  },
] as const;

async function ensureUser(db: Pool, email: string, password: string): Promise<string> {
  const existing = await db.query<{ id: string }>('select id from auth.users where email = $1', [email]);
  if (existing.rows[0]) return existing.rows[0].id;
  return (await createUser(db, { email, password })).id;
}

/** Demo collections in the Typesense stand-in, demo users, their organisations and sources. */
export async function prepareDemo(ctx: DevstackContext, options: { blogPosts?: number } = {}) {
  await seedDemoData(ctx, { blogPosts: options.blogPosts ?? ctx.config.demoBlogPosts });
  for (const demo of demoUsers) {
    const userId = await ensureUser(ctx.db, demo.email, demo.password);
    await ctx.db.query('insert into public.organisations (id, name) values ($1, $2) on conflict (id) do nothing', [
      demo.organisationId,
      demo.organisation,
    ]);
    await ctx.db.query(
      'insert into public.memberships (organisation_id, user_id, role) values ($1, $2, $3) on conflict do nothing',
      [demo.organisationId, userId, demo.role],
    );
    for (const source of demo.sources) {
      await ctx.db.query(
        `insert into public.export_sources (organisation_id, collection, label, mandatory_filter)
         values ($1, $2, $3, $4) on conflict (organisation_id, collection) do nothing`,
        [demo.organisationId, source.collection, source.label, source.filter],
      );
    }
  }
  return { users: demoUsers };
}
