import type { ReactNode } from 'react';
import { SettingsNav } from '@/components/settings/settings-nav';

/** Every settings page under one tab row, so API tokens and webhooks are found from the header's Settings. */
export default function SettingsLayout({ children }: { children: ReactNode }) {
  return (
    <div className="flex flex-col gap-6">
      <SettingsNav />
      {children}
    </div>
  );
}
