/** The header's sections: inline from 768 px, in the menu on a phone. */
export type NavItem = { href: string; label: string };

export const NAV_ITEMS: readonly NavItem[] = [{ href: '/exports', label: 'Exports' }];

/** Whether a section is the one shown: its own page or one below it. */
export function isCurrentSection(item: NavItem, pathname: string): boolean {
  return pathname === item.href || pathname.startsWith(`${item.href}/`);
}
