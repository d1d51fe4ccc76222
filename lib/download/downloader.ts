/**
 * Who is taking a file: a signed-in user, or someone holding a share link (an API token will be a third
 * kind). The download core records every download under it; the route that checked it says which.
 */
export type Downloader = { kind: 'user'; userId: string } | { kind: 'share_link'; linkId: string; note: string | null };
