'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { setNonce } from 'get-nonce';
import { NuqsAdapter } from 'nuqs/adapters/next/app';
import { useState, type ReactNode } from 'react';
import { Toaster } from 'sonner';
import { TooltipProvider } from '@/components/ui/tooltip';

export function Providers({ children, nonce }: { children: ReactNode; nonce: string | undefined }) {
  // Radix's scroll lock (dialogs, sheets) inserts a `<style>` element and asks get-nonce for its nonce:
  // without the page's nonce the Content-Security-Policy refuses it. Set before any child renders, so a
  // sheet open on the first render (a shard in the URL) gets it too. Browser only: on the server get-nonce
  // is one module shared by every request.
  if (nonce && typeof document !== 'undefined') setNonce(nonce);
  // One QueryClient per browser session; created in state so a re-render never replaces the cache.
  // Live data arrives over Realtime, so refetching on window focus would only duplicate it.
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, refetchOnWindowFocus: false } } }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <NuqsAdapter>
        <TooltipProvider delayDuration={200}>
          {children}
          {/*
            Bottom right, in the corner a page's own controls keep clear of: the header and each page's
            actions are at the top, and <main> ends with room for a toast (the dashboard layout), so the last
            control of a long page (Start export) scrolls out from under it. On a phone sonner spans the width.
          */}
          <Toaster position="bottom-right" closeButton offset={16} mobileOffset={{ bottom: 12, left: 12, right: 12 }} />
        </TooltipProvider>
      </NuqsAdapter>
    </QueryClientProvider>
  );
}
