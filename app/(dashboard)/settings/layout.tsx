import type { ReactNode } from 'react';
import { SettingsNav } from '@/components/settings/settings-nav';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { administeredOrganisations } from '@/lib/settings/administered-organisations';

/**
 * Every settings page under one tab row, so API tokens and webhooks are found from the header's Settings;
 * an admin of several organisations picks which one beside it.
 */
export default async function SettingsLayout({ children }: { children: ReactNode }) {
  const user = await requireCurrentUser('/settings');
  return (
    <div className="flex flex-col gap-6">
      <SettingsNav organisations={await administeredOrganisations(user.userId)} />
      {children}
    </div>
  );
}
