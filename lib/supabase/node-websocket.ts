import WebSocket from 'ws';

/**
 * supabase-js ≥ 2.100 resolves a WebSocket constructor inside createClient() and throws on Node 20,
 * which has no global one (design.md §5). Server-side clients pass this transport.
 */
export const nodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;
