/**
 * @module components/ui/filters
 * The row of filters above a list (the board's cards, the tasks): a search form that never submits,
 * a choice with an "any" first option, and a words field. Each change is reported at once.
 */
import type { ReactNode } from 'react';

const field =
  'mt-1.5 block rounded-md border-0 bg-white py-2 pr-8 pl-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600';
const label = 'text-sm font-medium text-slate-700';

/** The filters' form: a search landmark named `name`. */
export function FilterBar({ name, children }: { name: string; children: ReactNode }) {
  return (
    <form
      role="search"
      aria-label={name}
      className="flex flex-wrap items-end gap-3"
      onSubmit={(event) => event.preventDefault()}
    >
      {children}
    </form>
  );
}

/** A choice among `options`, the first option meaning "any" (the empty value). */
export function FilterChoice({
  label: text,
  any,
  value,
  options,
  onChange,
}: {
  label: string;
  any: string;
  value: string;
  options: readonly { value: string; label: string }[];
  onChange: (value: string) => void;
}) {
  return (
    <label className={label}>
      {text}
      <select className={field} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{any}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Words to find, taking the room left in the row. */
export function FilterWords({
  label: text,
  placeholder,
  value,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <label className={`${label} min-w-56 flex-1`}>
      {text}
      <input
        type="search"
        className={`${field} w-full pr-3`}
        placeholder={placeholder}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}
