/** Moves `name` one step up (-1) or down (+1) in the selected columns; out-of-range moves do nothing. */
export function moveField(fields: readonly string[], name: string, step: -1 | 1): string[] {
  const from = fields.indexOf(name);
  const to = from + step;
  if (from === -1 || to < 0 || to >= fields.length) return fields.slice();
  const next = fields.slice();
  next[from] = fields[to]!;
  next[to] = name;
  return next;
}

/** Turns a column on (appended in schema position order among the unselected) or off. */
export function toggleField(fields: readonly string[], name: string, on: boolean): string[] {
  if (on) return fields.includes(name) ? fields.slice() : [...fields, name];
  return fields.filter((f) => f !== name);
}

/** Selected columns in their chosen order, then the rest in schema order: the list the form shows. */
export function displayOrder(schema: readonly string[], selected: readonly string[]): string[] {
  const chosen = new Set(selected);
  return [...selected.filter((f) => schema.includes(f)), ...schema.filter((f) => !chosen.has(f))];
}
