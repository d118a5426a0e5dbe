/** Small dense symmetric matrices (row-major number[][]) for the EM and Little's test. */

/**
 * Inverse of a symmetric positive-definite matrix by Cholesky factorization. A matrix that
 * is not numerically positive definite gets a ridge of 1e-10·trace added to its diagonal
 * (repeatedly ×100) before giving up.
 * @throws if the matrix stays singular after the ridge.
 * @example invertSymmetric([[4, 2], [2, 3]]) // [[0.375, -0.25], [-0.25, 0.5]]
 */
export function invertSymmetric(matrix: number[][]): number[][] {
  const n = matrix.length;
  if (n === 0) return [];
  const trace = matrix.reduce((s, row, i) => s + Math.abs(row[i]!), 0) || 1;
  for (let ridge = 0, tries = 0; tries < 6; ridge = ridge === 0 ? 1e-10 * trace : ridge * 100, tries++) {
    const l = cholesky(matrix, ridge);
    if (l) return inverseFromCholesky(l);
  }
  throw new RangeError("matrix is singular: a column is constant or a linear combination of others");
}

/** Lower-triangular L with L·Lᵀ = A + ridge·I, or null when A is not positive definite. */
function cholesky(a: number[][], ridge: number): number[][] | null {
  const n = a.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i]![j]! + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(sum > 0)) return null;
        l[i]![i] = Math.sqrt(sum);
      } else l[i]![j] = sum / l[j]![j]!;
    }
  }
  return l;
}

function inverseFromCholesky(l: number[][]): number[][] {
  const n = l.length;
  // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
  const li = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    li[i]![i] = 1 / l[i]![i]!;
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= l[i]![k]! * li[k]![j]!;
      li[i]![j] = sum / l[i]![i]!;
    }
  }
  const inv = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < n; k++) sum += li[k]![i]! * li[k]![j]!;
      inv[i]![j] = sum;
      inv[j]![i] = sum;
    }
  return inv;
}

/** The rows and columns `index` of a square matrix. */
export function subMatrix(m: number[][], rows: number[], cols: number[] = rows): number[][] {
  return rows.map((i) => cols.map((j) => m[i]![j]!));
}

/** xᵀ A x. */
export function quadraticForm(a: number[][], x: number[]): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < x.length; j++) sum += x[i]! * a[i]![j]! * x[j]!;
  return sum;
}

/**
 * Cholesky factor (row-major n × n, lower triangle; the upper is left as zeros) of the
 * symmetric positive-definite matrix `a` (row-major, n × n), with the same ridge fallback
 * as invertSymmetric: 1e-10·trace added to the diagonal, then ×100, up to six tries.
 * @throws if the matrix stays singular after the ridge.
 * @example choleskyFlat(Float64Array.of(4, 2, 2, 3), 2) // Float64Array [2, 0, 1, √2]
 */
export function choleskyFlat(a: Float64Array, n: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a[i * n + i]!);
  if (trace === 0) trace = 1;
  const l = new Float64Array(n * n);
  for (let ridge = 0, tries = 0; tries < 6; ridge = ridge === 0 ? 1e-10 * trace : ridge * 100, tries++) {
    l.fill(0);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = a[i * n + j]! + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
        if (i === j) {
          if (!(sum > 0)) {
            ok = false;
            break;
          }
          l[i * n + i] = Math.sqrt(sum);
        } else l[i * n + j] = sum / l[j * n + j]!;
      }
    }
    if (ok) return l;
  }
  throw new RangeError("matrix is singular: a column is constant or a linear combination of others");
}

/**
 * Solves (L·Lᵀ) X = B in place for the r right-hand sides stored as the columns of `b`
 * (row-major n × r), L from choleskyFlat.
 * @example choleskySolveInPlace(choleskyFlat(Float64Array.of(4, 2, 2, 3), 2), 2, Float64Array.of(1, 0), 1) // [0.375, -0.25]
 */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array, r: number): Float64Array {
  for (let c = 0; c < r; c++) {
    // L y = b
    for (let i = 0; i < n; i++) {
      let sum = b[i * r + c]!;
      for (let k = 0; k < i; k++) sum -= l[i * n + k]! * b[k * r + c]!;
      b[i * r + c] = sum / l[i * n + i]!;
    }
    // Lᵀ x = y
    for (let i = n - 1; i >= 0; i--) {
      let sum = b[i * r + c]!;
      for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * b[k * r + c]!;
      b[i * r + c] = sum / l[i * n + i]!;
    }
  }
  return b;
}
