/** What the dashboard tells the user about its live connection. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/**
 * Maps a supabase-js channel status to what the user sees. realtime-js rejoins a channel by itself after
 * an error or a timeout, so those read as "Reconnecting…", not as a dead end.
 */
export function connectionStateFor(status: string): ConnectionState {
  switch (status) {
    case 'SUBSCRIBED':
      return 'live';
    case 'CHANNEL_ERROR':
    case 'TIMED_OUT':
    case 'CLOSED':
      return 'reconnecting';
    default:
      return 'connecting';
  }
}
