/** The exports' links currently shown (the table's rows, or on a phone the cards), in order. */
export function visibleRowLinks(): HTMLAnchorElement[] {
  return [...document.querySelectorAll<HTMLAnchorElement>('a[data-row-link]')].filter((a) => a.offsetParent !== null);
}
