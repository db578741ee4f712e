/**
 * @module features/board/graph-layout
 * Lanes for a graph of commits across branches: each commit, newest first, gets a lane (a column)
 * and an edge to each of its parents, drawn down the parent's lane. A branch keeps its lane while
 * it runs; a merge's other parent opens a lane; lanes free up when branches join.
 */

export interface GraphCommit {
  sha: string;
  parents: readonly string[];
}

export interface GraphEdge {
  /** Row and lane of the child. */
  fromRow: number;
  fromLane: number;
  /** The lane the edge runs down, from the row after the child. */
  toLane: number;
  /** The parent's row; the list's length when the parent is not listed. */
  toRow: number;
}

export interface GraphLayout {
  lanes: number[];
  edges: GraphEdge[];
  /** How many lanes are used at most: the graph's width. */
  width: number;
}

/**
 * Lays out commits given newest first (each after all its children).
 *
 * @example
 * layoutGraph([{ sha: 'b', parents: ['a'] }, { sha: 'a', parents: [] }]).lanes; // [0, 0]
 */
export function layoutGraph(commits: readonly GraphCommit[]): GraphLayout {
  const rowOf = new Map(commits.map((commit, row) => [commit.sha, row]));
  /** The sha each lane waits for, or null when the lane is free. */
  const open: (string | null)[] = [];
  const lanes: number[] = [];
  const pending: { fromRow: number; fromLane: number; parent: string }[] = [];
  const laneOfParent = new Map<string, number>();
  let width = 0;

  const freeLane = () => {
    const index = open.indexOf(null);
    return index === -1 ? open.length : index;
  };

  commits.forEach((commit, row) => {
    let lane = open.indexOf(commit.sha);
    if (lane === -1) lane = freeLane();
    for (let i = 0; i < open.length; i++) if (open[i] === commit.sha) open[i] = null;
    lanes.push(lane);
    commit.parents.forEach((parent, index) => {
      let target = open.indexOf(parent);
      if (target === -1) {
        target = index === 0 && open[lane] == null ? lane : freeLane();
        open[target] = parent;
      }
      laneOfParent.set(`${row}:${parent}`, target);
      pending.push({ fromRow: row, fromLane: lane, parent });
    });
    width = Math.max(width, open.length, lane + 1);
  });

  const edges = pending.map(({ fromRow, fromLane, parent }) => ({
    fromRow,
    fromLane,
    toLane: laneOfParent.get(`${fromRow}:${parent}`) ?? fromLane,
    toRow: rowOf.get(parent) ?? commits.length,
  }));
  return { lanes, edges, width: Math.max(width, 1) };
}
