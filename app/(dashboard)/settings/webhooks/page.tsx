import type { Metadata } from 'next';
import Link from 'next/link';
import { WebhooksSettings } from '@/components/webhooks/webhooks-settings';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { administeredOrganisations } from '@/lib/settings/administered-organisations';
import { chooseOrganisation, type SettingsSearchParams } from '@/lib/settings/choose-organisation';

export const metadata: Metadata = { title: 'Webhooks — Baton' };

/**
 * Webhook endpoints of an organisation the user administers (`?org=`, else the first by name). Anyone else
 * reads why they see nothing and whom to ask (the database shows endpoints to admins only).
 */
export default async function WebhooksPage({ searchParams }: { searchParams: SettingsSearchParams }) {
  const user = await requireCurrentUser('/settings/webhooks');
  const organisation = chooseOrganisation(await administeredOrganisations(user.userId), (await searchParams).org);
  if (organisation) return <WebhooksSettings key={organisation.id} organisationId={organisation.id} />;
  return (
    <div className="mx-auto flex max-w-lg flex-col gap-3 py-16 text-center">
      <h1 className="text-2xl font-semibold">Webhooks</h1>
      <p className="text-neutral-700">
        Webhook endpoints are managed by the admins of your organisation. Ask one of them to add yours.
      </p>
      <Link href="/exports" className="text-blue-700 underline underline-offset-4">
        Back to exports
      </Link>
    </div>
  );
}
