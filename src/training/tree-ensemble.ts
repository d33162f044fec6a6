/**
 * Decision trees as a GBDT trainer builds them, and their flattening into the parallel arrays of
 * ai.onnx.ml TreeEnsembleRegressor (see `treeEnsembleOnnx` in ./onnx-writer.ts).
 *
 * Splitting rule: a row goes LEFT when `x[feature] <= threshold` (ONNX mode BRANCH_LEQ), right
 * otherwise. A missing value (NaN) goes right unless `missingGoesLeft` is set. ONNX stores thresholds
 * and leaf values as float32 and compares float32 features, so pick thresholds that still separate
 * the training values after `Math.fround` — the safest is the largest value that goes left, not a
 * midpoint (a midpoint can round onto the next value up and send it left).
 */
export type TreeNode =
  | { feature: number; threshold: number; left: TreeNode; right: TreeNode; missingGoesLeft?: boolean }
  | { value: number };
/** One tree: its root node (a bare `{ value }` is a one-leaf tree, a constant). */
export type Tree = TreeNode;

export type FlatTrees = {
  nodesTreeIds: number[];
  nodesNodeIds: number[];
  nodesFeatureIds: number[];
  nodesValues: number[];
  nodesModes: string[];
  nodesTrueNodeIds: number[];
  nodesFalseNodeIds: number[];
  nodesMissingTracksTrue: number[];
  targetTreeIds: number[];
  targetNodeIds: number[];
  targetWeights: number[];
};

const isLeaf = (n: TreeNode): n is { value: number } => "value" in n;

/**
 * Numbers every tree's nodes in pre-order (root = 0, ids restart per tree) and lays them out as
 * TreeEnsembleRegressor attributes. Leaves appear as LEAF nodes and as targets carrying their value.
 * Throws on a feature index outside [0, dim) or a non-finite threshold or value.
 */
export function flattenTrees(trees: readonly Tree[], dim: number): FlatTrees {
  const f: FlatTrees = {
    nodesTreeIds: [], nodesNodeIds: [], nodesFeatureIds: [], nodesValues: [], nodesModes: [],
    nodesTrueNodeIds: [], nodesFalseNodeIds: [], nodesMissingTracksTrue: [],
    targetTreeIds: [], targetNodeIds: [], targetWeights: [],
  };
  trees.forEach((root, treeId) => {
    let next = 0;
    const visit = (node: TreeNode): number => {
      const id = next++;
      const slot = f.nodesNodeIds.length;
      f.nodesTreeIds.push(treeId);
      f.nodesNodeIds.push(id);
      if (isLeaf(node)) {
        if (!Number.isFinite(node.value)) throw new Error(`tree ${treeId} node ${id}: leaf value ${node.value}`);
        f.nodesFeatureIds.push(0);
        f.nodesValues.push(0);
        f.nodesModes.push("LEAF");
        f.nodesTrueNodeIds.push(0);
        f.nodesFalseNodeIds.push(0);
        f.nodesMissingTracksTrue.push(0);
        f.targetTreeIds.push(treeId);
        f.targetNodeIds.push(id);
        f.targetWeights.push(Math.fround(node.value));
        return id;
      }
      if (!Number.isInteger(node.feature) || node.feature < 0 || node.feature >= dim)
        throw new Error(`tree ${treeId} node ${id}: feature ${node.feature} outside [0, ${dim})`);
      if (!Number.isFinite(node.threshold)) throw new Error(`tree ${treeId} node ${id}: threshold ${node.threshold}`);
      f.nodesFeatureIds.push(node.feature);
      f.nodesValues.push(Math.fround(node.threshold));
      f.nodesModes.push("BRANCH_LEQ");
      f.nodesMissingTracksTrue.push(node.missingGoesLeft ? 1 : 0);
      // Placeholders until the children have ids (pre-order: left subtree first).
      f.nodesTrueNodeIds.push(-1);
      f.nodesFalseNodeIds.push(-1);
      f.nodesTrueNodeIds[slot] = visit(node.left);
      f.nodesFalseNodeIds[slot] = visit(node.right);
      return id;
    };
    visit(root);
  });
  return f;
}

/** The leaf value one row reaches in one tree, following the ONNX rule (float32 thresholds). */
export function treeLeaf(tree: Tree, x: ArrayLike<number>): number {
  let node = tree;
  while (!isLeaf(node)) {
    const v = x[node.feature]!;
    const left = Number.isNaN(v) ? node.missingGoesLeft === true : Math.fround(v) <= Math.fround(node.threshold);
    node = left ? node.left : node.right;
  }
  return Math.fround(node.value);
}

/**
 * Reference margin of a tree ensemble for one row: baseValue + sum of leaves, accumulated in float32
 * tree by tree as onnxruntime does, so it matches the graph to float32 rounding.
 */
export function predictTrees(trees: readonly Tree[], x: ArrayLike<number>, baseValue = 0): number {
  let acc = 0;
  for (const t of trees) acc = Math.fround(acc + treeLeaf(t, x));
  return Math.fround(acc + Math.fround(baseValue));
}
