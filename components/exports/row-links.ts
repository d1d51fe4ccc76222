/** The exports' links currently shown (the table's rows, or on a phone the cards), in order. */
export function visibleRowLinks(): HTMLAnchorElement[] {
  return [...document.querySelectorAll<HTMLAnchorElement>('a[data-row-link]')].filter((a) => a.offsetParent !== null);
}

/** Puts the keyboard on an export's link and brings its row into view. */
export function focusRowLink(link: HTMLAnchorElement) {
  link.focus();
  link.scrollIntoView({ block: 'nearest' });
}
