/**
 * @module features/tokens/components/token-list
 * The user's tokens (never their secrets), each revocable after confirmation.
 */
import { useState } from 'react';
import type { ApiToken } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useRevokeToken } from '../api/tokens.ts';

export function TokenList({ tokens }: { tokens: ApiToken[] }) {
  const revoke = useRevokeToken();
  const [revoking, setRevoking] = useState<ApiToken | null>(null);

  const close = () => {
    setRevoking(null);
    revoke.reset();
  };

  return (
    <>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">API tokens</caption>
        <thead className="text-xs text-slate-500 uppercase">
          <tr>
            <th scope="col" className="pb-2 font-medium">
              Name
            </th>
            <th scope="col" className="pb-2 font-medium">
              Token
            </th>
            <th scope="col" className="pb-2 font-medium">
              Created
            </th>
            <th scope="col" className="pb-2 font-medium">
              Last used
            </th>
            <th scope="col" className="pb-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {tokens.map((token) => (
            <tr key={token.id}>
              <td className="py-2.5 pr-3 font-medium text-slate-900">{token.name}</td>
              <td className="py-2.5 pr-3 font-mono text-xs text-slate-600">{token.prefix}…</td>
              <td className="py-2.5 pr-3 text-slate-600">
                <Time iso={token.createdAt} />
              </td>
              <td className="py-2.5 pr-3 text-slate-600">
                {token.lastUsedAt ? <Time iso={token.lastUsedAt} /> : 'never'}
              </td>
              <td className="py-2.5 text-right">
                <Button
                  variant="secondary"
                  size="sm"
                  aria-label={`Revoke ${token.name}`}
                  onClick={() => setRevoking(token)}
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke token"
        pending={revoke.isPending}
        error={revoke.error}
        onCancel={close}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: close })}
      >
        It stops working at once: the CLI and any git remote using it will be refused.
      </ConfirmDialog>
    </>
  );
}
