/**
 * @module features/repos/components/branch-list
 * A repository's branches: name, commit and when it last moved.
 */
import type { Branch } from '@lucid/contracts';
import { Time } from '../../../components/ui/time.tsx';
import { shortSha } from '../../../lib/format.ts';

export function BranchList({
  branches,
  defaultBranch,
}: {
  branches: Branch[];
  defaultBranch: string;
}) {
  return (
    <table className="w-full text-left text-sm">
      <caption className="sr-only">Branches</caption>
      <thead className="text-xs text-slate-500 uppercase">
        <tr>
          <th scope="col" className="pb-2 font-medium">
            Branch
          </th>
          <th scope="col" className="pb-2 font-medium">
            Commit
          </th>
          <th scope="col" className="pb-2 text-right font-medium">
            Updated
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {branches.map((branch) => (
          <tr key={branch.name}>
            <td className="py-2 pr-3">
              <span className="font-mono text-slate-900">{branch.name}</span>
              {branch.name === defaultBranch && (
                <span className="ml-2 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700">
                  default
                </span>
              )}
            </td>
            <td className="py-2 pr-3 font-mono text-slate-600" title={branch.sha}>
              {shortSha(branch.sha)}
            </td>
            <td className="py-2 text-right whitespace-nowrap text-slate-600">
              <Time iso={branch.updated} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
