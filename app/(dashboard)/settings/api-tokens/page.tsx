import type { Metadata } from 'next';
import Link from 'next/link';
import { ApiTokensView } from '@/components/api-tokens/api-tokens-view';
import { listApiTokens } from '@/lib/api-tokens/list-api-tokens';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { administeredOrganisations } from '@/lib/settings/administered-organisations';
import { chooseOrganisation, type SettingsSearchParams } from '@/lib/settings/choose-organisation';
import { createClient } from '@/lib/supabase/server';

export const metadata: Metadata = { title: 'API tokens — Baton' };

/**
 * Settings → API tokens, for admins. Anyone else reads why they cannot manage tokens and whom to ask (the
 * page's existence is no secret: the README names it).
 */
export default async function ApiTokensPage({ searchParams }: { searchParams: SettingsSearchParams }) {
  const user = await requireCurrentUser('/settings/api-tokens');
  const organisation = chooseOrganisation(await administeredOrganisations(user.userId), (await searchParams).org);
  if (!organisation) {
    return (
      <div className="mx-auto flex max-w-lg flex-col gap-3 py-16 text-center">
        <h1 className="text-2xl font-semibold">API tokens</h1>
        <p className="text-neutral-700">
          Only admins of your organisation can create and revoke API tokens. Ask an admin of your organisation.
        </p>
        <Link href="/exports" className="text-blue-700 underline underline-offset-4">
          Back to exports
        </Link>
      </div>
    );
  }
  const tokens = await listApiTokens(await createClient());
  return (
    <ApiTokensView
      key={organisation.id}
      organisationId={organisation.id}
      initial={tokens.filter((t) => t.organisation_id === organisation.id)}
    />
  );
}
