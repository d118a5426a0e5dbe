/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., algorithms 7.4 and
 * 7.5) with a backtracking Armijo line search: the optimizer behind the linear baseline's
 * logistic regression (scikit-learn's default solver for it is L-BFGS too) and its ridge
 * fallback for very wide designs. Meant for smooth convex objectives; on those every step
 * keeps sᵀy > 0, and a pair that does not is skipped rather than corrupting the memory.
 */

export interface LbfgsOptions {
  /** Iterations (gradient steps) at most. */
  maxIterations: number;
  /** Converged when every gradient component is at most this in absolute value. */
  gradientTolerance: number;
  /** Correction pairs kept; default 10 (scipy's and scikit-learn's m). */
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** True when the gradient tolerance was met (false: iterations ran out or no step decreased the objective). */
  converged: boolean;
}

const maxAbs = (v: Float64Array): number => {
  let m = 0;
  for (const x of v) if (Math.abs(x) > m) m = Math.abs(x);
  return m;
};
const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/**
 * Minimizes f from x0. `evaluate(x, grad)` returns f(x) and writes ∇f(x) into grad.
 * x0 is not modified.
 * @example minimizeLbfgs((x, g) => { g[0] = 2 * (x[0]! - 3); return (x[0]! - 3) ** 2; }, new Float64Array(1), { maxIterations: 50, gradientTolerance: 1e-10 }).x[0] // 3
 */
export function minimizeLbfgs(evaluate: (x: Float64Array, grad: Float64Array) => number, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const memory = Math.max(1, options.memory ?? 10);
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = evaluate(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iterations = 0;

  while (iterations < options.maxIterations) {
    if (maxAbs(g) <= options.gradientTolerance) return { x, value: f, iterations, converged: true };
    // Two-loop recursion: direction = −H·g.
    for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
    for (let k = s.length - 1; k >= 0; k--) {
      const a = (rho[k] as number) * dot(s[k] as Float64Array, direction);
      alpha[k] = a;
      const yk = y[k] as Float64Array;
      for (let i = 0; i < n; i++) direction[i]! -= a * (yk[i] as number);
    }
    const last = s.length - 1;
    const gamma = last >= 0 ? dot(s[last] as Float64Array, y[last] as Float64Array) / dot(y[last] as Float64Array, y[last] as Float64Array) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) direction[i]! *= gamma;
    for (let k = 0; k < s.length; k++) {
      const b = (rho[k] as number) * dot(y[k] as Float64Array, direction);
      const sk = s[k] as Float64Array;
      const a = alpha[k] as number;
      for (let i = 0; i < n; i++) direction[i]! += (a - b) * (sk[i] as number);
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) direction[i] = -(g[i] as number) * scale;
      slope = dot(g, direction);
    }

    // Backtracking line search: the first step of 1, ½, ¼, … with sufficient decrease, or
    // (near the optimum, where f stops resolving the decrease) Hager and Zhang's approximate
    // Wolfe conditions: f no higher up to rounding and the slope along d flattened enough.
    let step = 1;
    let fNew = Number.NaN;
    let accepted = false;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + step * (direction[i] as number);
      fNew = evaluate(xNew, gNew);
      if (Number.isFinite(fNew)) {
        if (fNew <= f + 1e-4 * step * slope) {
          accepted = true;
          break;
        }
        const slopeNew = dot(gNew, direction);
        if (fNew <= f + 1e-12 * Math.abs(f) && slopeNew >= 0.9 * slope && slopeNew <= -0.8 * slope) {
          accepted = true;
          break;
        }
      }
      step /= 2;
    }
    iterations++;
    if (!accepted) return { x, value: f, iterations, converged: maxAbs(g) <= options.gradientTolerance };

    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = (xNew[i] as number) - (x[i] as number);
      yk[i] = (gNew[i] as number) - (g[i] as number);
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
  }
  return { x, value: f, iterations, converged: maxAbs(g) <= options.gradientTolerance };
}
