/**
 * @module components/ui/connection-list
 * The pieces every integration's card in Settings → Integrations is made of: the card with its
 * loading and error states, a connection's row with Disconnect behind a confirmation, and the form
 * connecting one with a token (the server checks it with the service before storing it).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { fieldErrors } from '../../lib/api.ts';
import { Button } from './button.tsx';
import { Card } from './card.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { ErrorMessage } from './error-message.tsx';
import { InputField } from './input.tsx';
import { Loading } from './loading.tsx';

/** A query's state as the card needs it. */
interface ConnectionsQuery<Data> {
  isPending: boolean;
  error: unknown;
  data: Data | undefined;
  refetch: () => unknown;
}

/**
 * An integration's card: "Loading …", the error with Retry, or its connections (or "Not
 * connected.") followed by what connects one.
 */
export function ConnectionsCard<Item extends { id: string }, Data extends { connections: Item[] }>({
  title,
  description,
  query,
  row,
  children,
}: {
  title: string;
  description: string;
  query: ConnectionsQuery<Data>;
  row: (connection: Item) => ReactNode;
  children: (data: Data) => ReactNode;
}) {
  const { data } = query;
  return (
    <Card title={title} description={description} className="mt-6">
      {query.error ? (
        <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />
      ) : query.isPending || !data ? (
        <Loading label={`Loading ${title}…`} />
      ) : (
        <>
          {data.connections.length > 0 ? (
            <ul className="divide-y divide-slate-100">{data.connections.map(row)}</ul>
          ) : (
            <p className="text-sm text-slate-600">Not connected.</p>
          )}
          {children(data)}
        </>
      )}
    </Card>
  );
}

/** A connection's row: who it is, and Disconnect once confirmed. */
export function ConnectionItem({
  name,
  icon,
  children,
  forgets,
  disconnect,
}: {
  name: string;
  icon?: ReactNode;
  /** The lines under the name: whose it is, since when. */
  children: ReactNode;
  /** What disconnecting forgets, said in the confirmation. */
  forgets: ReactNode;
  disconnect: { isPending: boolean; error: unknown; forget: (onDone: () => void) => void };
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 py-3 first:pt-0">
      <div className="flex items-center gap-3">
        {icon}
        <div className="leading-tight">
          <p className="text-sm font-medium text-slate-900">{name}</p>
          {children}
        </div>
      </div>
      <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
        Disconnect
      </Button>
      <ConfirmDialog
        open={confirming}
        title={`Disconnect ${name}?`}
        confirmLabel="Disconnect"
        pending={disconnect.isPending}
        error={disconnect.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() => disconnect.forget(() => setConfirming(false))}
      >
        {forgets}
      </ConfirmDialog>
    </li>
  );
}

/** A field of {@link TokenForm}. */
export interface TokenField {
  name: string;
  label: string;
  hint: string;
  /** The token itself: a password field, required. Else an optional plain field. */
  secret?: boolean;
  className: string;
}

/**
 * The form connecting an integration with a token (and optional fields beside it); on success it
 * clears itself and calls `onDone`.
 */
export function TokenForm({
  label,
  fields,
  connect,
  onDone,
}: {
  label: string;
  fields: TokenField[];
  connect: {
    isPending: boolean;
    error: unknown;
    submit: (values: Record<string, string>, onSuccess: () => void) => void;
  };
  onDone: () => void;
}) {
  const empty = Object.fromEntries(fields.map((field) => [field.name, '']));
  const [values, setValues] = useState<Record<string, string>>(empty);
  const errors = fieldErrors(connect.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = Object.fromEntries(
      Object.entries(values)
        .map(([name, value]) => [name, value.trim()])
        .filter(([, value]) => value !== ''),
    );
    connect.submit(trimmed, () => {
      setValues(empty);
      onDone();
    });
  };
  const shown = fields.some((field) => errors[field.name]);
  return (
    <form onSubmit={onSubmit} aria-label={label} className="mt-3 flex flex-wrap items-start gap-3">
      {fields.map((field) => (
        <InputField
          key={field.name}
          label={field.label}
          autoComplete="off"
          className={field.className}
          hint={field.hint}
          error={errors[field.name]}
          value={values[field.name] ?? ''}
          onChange={(event) => setValues({ ...values, [field.name]: event.target.value })}
          {...(field.secret ? { type: 'password', required: true, minLength: 10 } : {})}
        />
      ))}
      <div className="mt-7 flex gap-2">
        <Button type="submit" pending={connect.isPending} pendingText="Checking…">
          Connect
        </Button>
        <Button variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
      {connect.error !== null && connect.error !== undefined && !shown && (
        <div className="w-full">
          <ErrorMessage title="Not connected" error={connect.error} />
        </div>
      )}
    </form>
  );
}
