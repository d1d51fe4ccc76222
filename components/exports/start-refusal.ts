/**
 * Why "New export" is absent: the user's role, and who can change it. The API refuses a start from this
 * role with the same reason (README, "Who may do what").
 */
export function startRefusalText(role: string | null): string {
  return role
    ? `Your role is ${role}: you can watch and download exports, but starting one needs the member, support or admin role. Ask an admin of your organisation if you need it.`
    : 'You are not a member of any organisation yet, so you cannot start exports. Ask an admin of your organisation to add you.';
}
