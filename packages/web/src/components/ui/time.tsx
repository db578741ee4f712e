/**
 * @module components/ui/time
 * A timestamp shown relative to now, with the full date on hover.
 */
import { fullDate, relativeTime } from '../../lib/format.ts';

export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={fullDate(iso)}>
      {relativeTime(iso)}
    </time>
  );
}
