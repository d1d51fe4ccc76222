/**
 * Who is taking a file: a signed-in user, someone holding a share link, or a script with an organisation's
 * API token. The download core records every download under it; the route that checked it says which.
 */
export type Downloader =
  | { kind: 'user'; userId: string }
  | { kind: 'share_link'; linkId: string; note: string | null }
  | { kind: 'api_token'; tokenId: string };
