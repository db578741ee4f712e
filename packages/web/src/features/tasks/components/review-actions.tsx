/**
 * @module features/tasks/components/review-actions
 * Approve and Reject on the task page while its work is in review, as on the board: approving
 * merges the branch (a conflict lists its files), rejecting asks for the reason first, which the
 * task's next run is given.
 */
import { useState } from 'react';
import type { Task } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { MergeConflict } from '../../../components/ui/merge-conflict.tsx';
import { RejectDialog } from '../../../components/ui/reject-dialog.tsx';
import { useReviewTask } from '../../../lib/queries/tasks.ts';

export function ReviewActions({ task }: { task: Task }) {
  const review = useReviewTask(task.id);
  const [rejecting, setRejecting] = useState(false);
  const approving = review.isPending && review.variables.decision === 'approve';
  const approveError = review.variables?.decision === 'approve' ? review.error : null;

  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex gap-2">
        <Button
          size="sm"
          pending={approving}
          pendingText="Approving…"
          disabled={review.isPending}
          onClick={() => review.mutate({ decision: 'approve' })}
        >
          Approve
        </Button>
        <Button
          size="sm"
          variant="secondary"
          disabled={review.isPending}
          onClick={() => {
            review.reset();
            setRejecting(true);
          }}
        >
          Reject
        </Button>
      </div>
      {approveError && (
        <div className="max-w-md">
          <ErrorMessage error={approveError} />
          <MergeConflict error={approveError} />
        </div>
      )}
      <RejectDialog
        open={rejecting}
        cardTitle={task.title}
        pending={review.isPending}
        error={rejecting ? review.error : null}
        onClose={() => setRejecting(false)}
        onReject={(reason) =>
          review.mutate({ decision: 'reject', reason }, { onSuccess: () => setRejecting(false) })
        }
      />
    </div>
  );
}
