/**
 * @module features/board/filters
 * Finding cards: by words in the title or description, by status and by agent, as kept in the
 * board's URL (`?q=&status=&agent=`).
 */
import type { TaskSummary } from '@lucid/contracts';

export interface CardFilters {
  q: string;
  status: string;
  agent: string;
}

/**
 * The cards that match every filter given; an empty filter matches everything.
 *
 * @example
 * filterCards(cards, { q: 'readme', status: '', agent: 'codex' });
 */
export function filterCards<T extends Pick<TaskSummary, 'title' | 'prompt' | 'status' | 'agent'>>(
  cards: readonly T[],
  filters: CardFilters,
): T[] {
  const words = filters.q.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return cards.filter((card) => {
    if (filters.status && card.status !== filters.status) return false;
    if (filters.agent && card.agent !== filters.agent) return false;
    const text = `${card.title}\n${card.prompt}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
}
