/** The header's sections: inline from 768 px, in the menu on a phone. */
export type NavItem = { href: string; label: string };

const EXPORTS: NavItem = { href: '/exports', label: 'Exports' };
const SYSTEM_HEALTH: NavItem = { href: '/system', label: 'System' };

/** The sections this user has: system health only for support and admins (the page checks again). */
export function navItems(showSystemHealth: boolean): readonly NavItem[] {
  return showSystemHealth ? [EXPORTS, SYSTEM_HEALTH] : [EXPORTS];
}

/** Whether a section is the one shown: its own page or one below it. */
export function isCurrentSection(item: NavItem, pathname: string): boolean {
  return pathname === item.href || pathname.startsWith(`${item.href}/`);
}
