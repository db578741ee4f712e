/**
 * @module features/runners/components/remove-runner
 * Removing an offline remote runner from the runner panel (instance admins), after a confirmation:
 * its token stops working, and the sandboxes it left are removed by the runners sharing its engine
 * once it has been gone for a day.
 */
import { useState } from 'react';
import type { Runner } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { useRemoveRunner } from '../api/runners.ts';

export function RemoveRunner({ runner }: { runner: Runner }) {
  const remove = useRemoveRunner();
  const [confirming, setConfirming] = useState(false);
  if (runner.kind !== 'remote' || runner.status !== 'offline') return null;
  return (
    <>
      <Button
        variant="ghost"
        size="sm"
        className="text-red-700"
        aria-label={`Remove ${runner.name}`}
        onClick={() => setConfirming(true)}
      >
        Remove
      </Button>
      <ConfirmDialog
        open={confirming}
        title={`Remove the runner ${runner.name}?`}
        confirmLabel="Remove runner"
        pending={remove.isPending}
        error={remove.error}
        onCancel={() => {
          setConfirming(false);
          remove.reset();
        }}
        onConfirm={() => remove.mutate(runner.id, { onSuccess: () => setConfirming(false) })}
      >
        Its token stops working at once. If it comes back it is refused, and it removes the
        sandboxes it made; otherwise the runners sharing its engine remove them after a day.
      </ConfirmDialog>
    </>
  );
}
