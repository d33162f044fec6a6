/** One rep's part of its pool's assignments against its part of the pool's weight. */
export type RepShare = { teamId: string; role: string; repId: string; weight: number; assigned: number; share: number; weightShare: number };

/**
 * Weights that weigh, shown: per team and role (the pool a tier draws from), each rep's share of the
 * window's current assignments next to its share of the pool's weight. Pure. Reps with no assignment are
 * listed too (share 0): an idle rep is what this report exists to show.
 */
export function weightShares(
  decisions: readonly { teamId: string; repId: string | null; outcome: string }[],
  reps: readonly { id: string; teamId: string; role: string; weight: number }[],
): RepShare[] {
  const assigned = new Map<string, number>();
  for (const d of decisions) if (d.outcome === "assigned" && d.repId) assigned.set(d.repId, (assigned.get(d.repId) ?? 0) + 1);
  const pools = new Map<string, typeof reps>();
  for (const r of reps) pools.set(`${r.teamId}\u0000${r.role}`, [...(pools.get(`${r.teamId}\u0000${r.role}`) ?? []), r]);
  return [...pools.values()].flatMap((pool) => {
    const total = pool.reduce((s, r) => s + (assigned.get(r.id) ?? 0), 0);
    const weight = pool.reduce((s, r) => s + r.weight, 0);
    return [...pool]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => ({ teamId: r.teamId, role: r.role, repId: r.id, weight: r.weight, assigned: assigned.get(r.id) ?? 0, share: total ? (assigned.get(r.id) ?? 0) / total : 0, weightShare: weight ? r.weight / weight : 0 }));
  });
}
