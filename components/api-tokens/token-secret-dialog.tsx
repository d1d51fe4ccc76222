'use client';

import { CopyIcon } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';

/** The new token's secret, shown this once: Baton keeps only its hash and cannot show it again. */
export function TokenSecretDialog({ secret, onClose }: { secret: string | null; onClose: () => void }) {
  return (
    <Dialog open={secret !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Copy your new token now</DialogTitle>
          <DialogDescription>
            This is the only time it is shown. Keep it in your script’s secret store; if it is lost, revoke it and
            create another.
          </DialogDescription>
        </DialogHeader>
        <p
          className="rounded-md border border-neutral-300 bg-neutral-50 p-3 font-mono text-sm break-all"
          aria-label="API token"
        >
          {secret}
        </p>
        <div className="flex justify-end gap-2">
          <Button
            variant="outline"
            onClick={() =>
              void navigator.clipboard
                .writeText(secret ?? '')
                .then(() => toast.success('Token copied'))
                .catch(() => toast.error('Could not copy: select the token and copy it by hand.'))
            }
          >
            <CopyIcon aria-hidden />
            Copy token
          </Button>
          <Button onClick={onClose}>Done</Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
