/** The header's sections: inline from 768 px, in the menu on a phone. */
export type NavItem = { href: string; label: string };

const EXPORTS: NavItem = { href: '/exports', label: 'Exports' };
const SYSTEM_HEALTH: NavItem = { href: '/system', label: 'System' };
const SETTINGS: NavItem = { href: '/settings', label: 'Settings' };

/** Which of the role-bound sections this user is offered (each page checks again). */
export type NavSections = { systemHealth: boolean; settings: boolean };

/** The sections this user has: system health for support and admins, settings for admins. */
export function navItems(sections: NavSections): readonly NavItem[] {
  return [EXPORTS, ...(sections.systemHealth ? [SYSTEM_HEALTH] : []), ...(sections.settings ? [SETTINGS] : [])];
}

/** Whether a section is the one shown: its own page or one below it. */
export function isCurrentSection(item: NavItem, pathname: string): boolean {
  return pathname === item.href || pathname.startsWith(`${item.href}/`);
}
