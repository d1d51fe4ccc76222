'use client';

import { CopyIcon } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';

/** The new endpoint's signing secret, the only time anyone sees it. */
export function SecretDialog({ secret, onClose }: { secret: string | null; onClose: () => void }) {
  return (
    <Dialog open={secret !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Endpoint added: copy its signing secret</DialogTitle>
          <DialogDescription>
            Your receiver verifies every event with this secret. It is shown only now: Baton keeps it for signing and
            never shows it again. Lost it? Delete the endpoint and add it again.
          </DialogDescription>
        </DialogHeader>
        <code className="rounded border bg-neutral-50 p-3 text-sm break-all" data-testid="webhook-secret">
          {secret}
        </code>
        <div className="flex justify-end gap-2">
          <Button
            variant="outline"
            onClick={() =>
              void navigator.clipboard
                .writeText(secret ?? '')
                .then(() => toast.success('Signing secret copied'))
                .catch(() => toast.error('Copying failed: select the secret and copy it yourself.'))
            }
          >
            <CopyIcon aria-hidden />
            Copy secret
          </Button>
          <Button onClick={onClose}>Done</Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
