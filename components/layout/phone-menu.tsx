'use client';

import { KeyboardIcon, LogOutIcon, MenuIcon } from 'lucide-react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useCommandCenter } from '@/components/command-palette/command-center';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { isCurrentSection, navItems, type NavSections } from './nav-items';
import { useSignOut } from './use-sign-out';

/**
 * Below 768 px the sections, the account and sign-out fold into one menu, so the header stays one row
 * at 390 px however many sections there are.
 */
export function PhoneMenu({ email, sections }: { email: string | undefined; sections: NavSections }) {
  const pathname = usePathname() ?? '';
  const { openShortcuts } = useCommandCenter();
  const { signOut, pending } = useSignOut();
  return (
    // Not modal: a modal menu hides the page from assistive tech while its links stay focusable (axe).
    <DropdownMenu modal={false}>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" className="md:hidden">
          <MenuIcon aria-hidden />
          <span className="sr-only">Menu</span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        {navItems(sections).map((item) => (
          <DropdownMenuItem key={item.href} asChild>
            <Link href={item.href} aria-current={isCurrentSection(item, pathname) ? 'page' : undefined}>
              {item.label}
            </Link>
          </DropdownMenuItem>
        ))}
        <DropdownMenuItem onSelect={openShortcuts}>
          <KeyboardIcon aria-hidden />
          Keyboard shortcuts
        </DropdownMenuItem>
        <DropdownMenuSeparator />
        {email ? <DropdownMenuLabel>Signed in as {email}</DropdownMenuLabel> : null}
        <DropdownMenuItem disabled={pending} onSelect={() => void signOut()}>
          <LogOutIcon aria-hidden />
          Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
