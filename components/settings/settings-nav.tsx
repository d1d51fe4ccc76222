'use client';

import { Building2Icon, CheckIcon, ChevronDownIcon } from 'lucide-react';
import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import {
  chooseOrganisation,
  settingsHref,
  SETTINGS_ORGANISATION_PARAM,
  type AdministeredOrganisation,
} from '@/lib/settings/choose-organisation';
import { cn } from '@/lib/utils';

/** The settings pages, one concern each: the organisation's own rules, then how scripts and systems reach it. */
const SETTINGS_PAGES = [
  { href: '/settings', label: 'Organisation' },
  { href: '/settings/api-tokens', label: 'API tokens' },
  { href: '/settings/webhooks', label: 'Webhooks' },
] as const;

/**
 * The tab row of the settings pages. An admin of several organisations also gets a menu of them: the
 * choice travels in the link (`?org=`), so every tab, a reload and a shared link show the same one.
 */
export function SettingsNav({ organisations }: { organisations: readonly AdministeredOrganisation[] }) {
  const pathname = usePathname() ?? '/settings';
  const requested = useSearchParams()?.get(SETTINGS_ORGANISATION_PARAM) ?? undefined;
  const shown = chooseOrganisation(organisations, requested);
  // One organisation needs no name in every link.
  const linkedId = organisations.length > 1 ? (shown?.id ?? null) : null;
  // The organisation first (which one, then which page), above the tabs on a phone and before them on
  // wider screens; the tab row's underline stays on the bottom border either way.
  return (
    <div className="flex flex-col gap-2 border-b border-neutral-200 sm:flex-row sm:items-end sm:gap-6">
      {organisations.length > 1 && shown ? (
        <DropdownMenu modal={false}>
          <DropdownMenuTrigger asChild>
            <Button
              variant="outline"
              size="sm"
              className="self-start sm:mb-1"
              aria-label={`Organisation: ${shown.name}`}
            >
              <Building2Icon aria-hidden />
              <span className="max-w-56 truncate">{shown.name}</span>
              <ChevronDownIcon aria-hidden />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="start">
            <DropdownMenuLabel>Organisations you administer</DropdownMenuLabel>
            {organisations.map((organisation) => {
              const current = organisation.id === shown.id;
              return (
                <DropdownMenuItem key={organisation.id} asChild>
                  <Link href={settingsHref(pathname, organisation.id)} aria-current={current ? 'true' : undefined}>
                    <CheckIcon aria-hidden className={current ? undefined : 'invisible'} />
                    {organisation.name}
                  </Link>
                </DropdownMenuItem>
              );
            })}
          </DropdownMenuContent>
        </DropdownMenu>
      ) : null}
      <nav aria-label="Settings">
        <ul className="-mb-px flex gap-4 overflow-x-auto">
          {SETTINGS_PAGES.map((page) => {
            const current = pathname === page.href;
            return (
              <li key={page.href}>
                <Link
                  href={settingsHref(page.href, linkedId)}
                  aria-current={current ? 'page' : undefined}
                  className={cn(
                    'inline-block border-b-2 px-1 py-2 text-sm whitespace-nowrap',
                    current
                      ? 'border-blue-700 font-medium text-neutral-900'
                      : 'border-transparent text-neutral-600 hover:text-neutral-900',
                  )}
                >
                  {page.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
    </div>
  );
}
