import type { Metadata } from 'next';
import Link from 'next/link';
import { ApprovalsSection } from '@/components/settings/approvals-section';
import { RetentionSection } from '@/components/settings/retention-section';
import { StorageUseSection } from '@/components/settings/storage-use-section';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { readOrganisationSettings } from '@/lib/retention/organisation-settings';
import { organisationStorageUse } from '@/lib/retention/organisation-storage-use';
import { administeredOrganisations } from '@/lib/settings/administered-organisations';
import { chooseOrganisation, type SettingsSearchParams } from '@/lib/settings/choose-organisation';
import { createClient } from '@/lib/supabase/server';

export const metadata: Metadata = { title: 'Settings — Baton' };

/**
 * The organisation's settings, for its admins: one section per concern (each its own component, so a
 * section is added without touching the others). Anyone else who follows a link here reads whom to ask.
 */
export default async function SettingsPage({ searchParams }: { searchParams: SettingsSearchParams }) {
  const user = await requireCurrentUser('/settings');
  const organisation = chooseOrganisation(await administeredOrganisations(user.userId), (await searchParams).org);
  if (!organisation) {
    return (
      <div className="mx-auto flex max-w-lg flex-col gap-3 py-16 text-center">
        <h1 className="text-2xl font-semibold">Settings</h1>
        <p className="text-neutral-700">
          Settings are for the admins of an organisation; your role is not admin in any. Ask one of your
          organisation&rsquo;s admins.
        </p>
        <Link href="/exports" className="text-blue-700 underline underline-offset-4">
          Back to exports
        </Link>
      </div>
    );
  }
  const organisationId = organisation.id;
  const supabase = await createClient();
  const [settings, storage] = await Promise.all([
    readOrganisationSettings(supabase, organisationId),
    organisationStorageUse(supabase, organisationId),
  ]);
  // Keyed by organisation: the sections' forms start from the chosen organisation's values, not the last one's.
  return (
    <div key={organisationId} className="flex max-w-3xl flex-col gap-8">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold">Settings</h1>
        <p className="text-sm text-neutral-600">{settings.name}</p>
      </div>
      <RetentionSection initial={settings} />
      <StorageUseSection organisationId={organisationId} initial={storage} />
      <ApprovalsSection initial={settings} />
    </div>
  );
}
