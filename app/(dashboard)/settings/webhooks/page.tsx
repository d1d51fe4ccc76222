import type { Metadata } from 'next';
import Link from 'next/link';
import { WebhooksSettings } from '@/components/webhooks/webhooks-settings';
import { currentMemberships } from '@/lib/auth/current-memberships';
import { requireCurrentUser } from '@/lib/auth/current-user';

export const metadata: Metadata = { title: 'Webhooks — Baton' };

/**
 * Webhook endpoints of the organisation the user administers. Anyone else reads why they see nothing and
 * whom to ask (the database shows endpoints to admins only).
 */
export default async function WebhooksPage() {
  const user = await requireCurrentUser('/settings/webhooks');
  const administered = (await currentMemberships(user.userId)).find((m) => m.role === 'admin');
  if (administered) return <WebhooksSettings organisationId={administered.organisation_id} />;
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
