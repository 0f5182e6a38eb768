"""The zoo's own check of itself, independent of nngrad: every correct case must agree with a plain central
difference (or lie between the one-sided differences at a kink), every buggy case must disagree somewhere or show a
non-numerical defect (dout or input changed in place, parameters changed, a second backward differing, a gradient of
the wrong shape or missing, NaN/inf).

    cd tests && ../.venv/bin/python -m zoo._verify [-v] [--seeds N] [--cli] [--fresh | --r2 | --r3 | --r4 | --r5 | --r6] [name-substring ...]

(--fresh: the first-contact batch FRESH instead of CASES; --r2: the second batch ROUND2; --r3: the third, ROUND3; --r4: the fourth, ROUND4; --r5: the fifth, ROUND5; --r6: the sixth, ROUND6; --seeds N: each case drawn from the rngs default_rng(0 .. N-1); a correct case must agree for every one, a buggy
case must show its defect for every one; --cli: the cases that have cli arguments, built from those arguments.)

Besides the one-element differences it tests directions that move several elements together: all of an array at
once, and each group of exactly tied elements (a max over tied maxima routed to every one of them agrees element by
element but not along the direction that moves the ties together)."""

import dataclasses
import json
import sys
import time

import numpy as np

from . import CASES, FRESH, ROUND2, ROUND3, ROUND4, ROUND5, ROUND6, module_of
from ._adapt import build, fixed_state, is_float_array

H64, H32 = 1e-5, 1e-2
TOL64 = (1e-4, 1e-6)  # rtol, atol (times the gradient's scale)
TOL32 = (2e-2, 2e-3)


def loss_of(prob, arrays, douts, state):
    outs = prob.forward(arrays, state)
    return sum(float(np.sum(np.asarray(o, dtype=np.float64) * d)) for o, d in zip(outs, douts))


def _agrees(g, central, plus, minus, rtol, atol):
    """g matches the central difference, or lies between the one-sided ones (a kink inside the step)."""
    if abs(g - central) <= atol + rtol * abs(central):
        return True
    lo, hi = min(plus, minus), max(plus, minus)
    slack = 1e-3 * (hi - lo)  # a one-sided difference is off by O(h * curvature) beside the kink
    return lo - atol - rtol * abs(lo) - slack <= g <= hi + atol + rtol * abs(hi) + slack


def _directional(prob, arrays, i, d, douts, state, L0, h):
    def at(step):
        moved = list(arrays)
        moved[i] = arrays[i] + step * d
        return loss_of(prob, moved, douts, state)
    lp, lm = at(h), at(-h)
    return (lp - lm) / (2 * h), (lp - L0) / h, (L0 - lm) / h


def numeric_mismatches(prob, arrays, douts, state, grads):
    """[(label, where, analytic, numerical)] of the disagreements."""
    bad = []
    L0 = loss_of(prob, arrays, douts, state)
    for i, (a, g) in enumerate(zip(arrays, grads)):
        g = np.asarray(g, dtype=np.float64)
        f32 = a.dtype == np.float32
        h = H32 if f32 else H64
        rtol, atol = TOL32 if f32 else TOL64
        central = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            plus, minus = a.copy(), a.copy()
            plus[idx] += h
            minus[idx] -= h
            hp, hm = float(plus[idx]) - float(a[idx]), float(a[idx]) - float(minus[idx])
            lp = loss_of(prob, arrays[:i] + [plus] + arrays[i + 1:], douts, state)
            lm = loss_of(prob, arrays[:i] + [minus] + arrays[i + 1:], douts, state)
            central[idx] = (lp - lm) / (hp + hm)
            one = ((lp - L0) / hp, (L0 - lm) / hm)
            central_i = central[idx]
            scale = atol * max(1.0, float(np.max(np.abs(g))) if g.size else 1.0)
            if not _agrees(float(g[idx]), central_i, *one, rtol, scale):
                bad.append((prob.labels[i], idx, float(g[idx]), central_i))
        if f32 or a.size < 2:
            continue
        # directions that move elements together: the whole array, and every group of exactly tied elements
        directions = [("all", np.ones(a.shape))]
        values, counts = np.unique(a, return_counts=True)
        for v in values[counts >= 2][:6]:
            directions.append((f"tied at {v:g}", (a == v).astype(float)))
        for what, d in directions:
            c, p, m = _directional(prob, arrays, i, d, douts, state, L0, h)
            gd = float(np.sum(g * d))
            scale = atol * max(1.0, float(np.sum(np.abs(g * d))))
            if not _agrees(gd, c, p, m, rtol, scale):
                bad.append((prob.labels[i], what, gd, c))
    return bad


def verify(case, seed=0):
    """-> (defects found, details)."""
    rng = np.random.default_rng(seed)
    args, kwargs = case.make(rng)
    state = fixed_state()
    try:
        prob = build(case, args, kwargs)
        arrays = [a.copy() for a in prob.initial]
        with np.errstate(all="ignore"):
            outs = prob.forward(arrays, state)
            if prob.scalar:
                douts = [np.array(1.0)]
            else:
                douts = [rng.standard_normal(np.shape(o)).astype(o.dtype if is_float_array(o) else np.float64)
                         for o in outs]
            (g1, g2), notes = prob.run(arrays, douts, state, repeats=2)
    except Exception as e:  # noqa: BLE001
        return {"error"}, f"{type(e).__name__}: {e}"
    defects, details = set(notes), []
    finite = all(np.all(np.isfinite(o)) for o in outs) and all(
        g is None or np.all(np.isfinite(np.asarray(g, dtype=float))) for g in g1)
    if not finite:
        defects.add("nonfinite")
    ok = []
    for label, a, g in zip(prob.labels, arrays, g1):
        if g is None or np.shape(g) != a.shape:
            defects.add("shape")
            details.append(f"{label}: gradient shape {None if g is None else np.shape(g)} for {a.shape}")
            ok.append(False)
        else:
            ok.append(True)
    for label, g, h, good in zip(prob.labels, g1, g2, ok):
        if good and not np.allclose(np.asarray(g, float), np.asarray(h, float), rtol=1e-12, atol=1e-14,
                                    equal_nan=True):
            defects.add("not-repeatable")
            details.append(f"{label}: a second backward differs")
    if finite:
        keep = [i for i, good in enumerate(ok) if good]
        with np.errstate(all="ignore"):
            bad = numeric_mismatches(prob, arrays, douts, state, [g1[i] if i in keep else np.zeros(a.shape)
                                                                     for i, a in enumerate(arrays)])
        bad = [b for b in bad if prob.labels.index(b[0]) in keep]
        if bad:
            defects.add("numeric")
            label, where, ga, gn = bad[0]
            details.append(f"{len(bad)} disagreement(s), e.g. {label}[{where}]: analytic {ga:.6g}, numerical {gn:.6g}")
    return defects, "; ".join(details)


def fresh_objects(case):
    """make(rng) twice: the same values from the same seed, no object shared between the two calls."""
    (a1, k1), (a2, k2) = case.make(np.random.default_rng(1)), case.make(np.random.default_rng(1))
    problems = []

    def walk(x, y, where, depth=0):
        if depth > 4:
            return
        if isinstance(x, np.ndarray):
            if np.shares_memory(x, y):
                problems.append(f"{where}: the same array")
            elif x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
                problems.append(f"{where}: different values from the same seed")
        elif isinstance(x, (tuple, list)):
            if isinstance(x, list) and x and x is y:
                problems.append(f"{where}: the same list")
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{where}[{i}]", depth + 1)
        elif isinstance(x, dict):
            if x and x is y:
                problems.append(f"{where}: the same dict")
            for k in x:
                if k in y:
                    walk(x[k], y[k], f"{where}[{k!r}]", depth + 1)
        elif callable(x) and getattr(x, "__closure__", None) is None and not hasattr(x, "__self__") \
                and isinstance(x, type(walk)):
            pass  # module-level functions are meant to be shared
        elif hasattr(x, "__dict__") and not isinstance(x, type):
            if x is y:
                problems.append(f"{where}: the same object")
            elif not callable(x):
                for k, v in vars(x).items():
                    walk(v, vars(y).get(k), f"{where}.{k}", depth + 1)
    walk(a1, a2, "args")
    walk(tuple(k1.values()), tuple(k2.values()), "kwargs")
    return problems


def cli_make(case):
    """A make(rng) that builds what ``case.cli`` describes (the class or functions by name from the case's module,
    standard normal arrays of the given shapes), to check that the cli arguments name code that runs and, for a
    buggy case, still shows its bug with plain standard normal inputs."""
    module = module_of(case)
    args = list(case.cli)
    opts = {"--param": [], "--shapes": []}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--shapes":
            opts[a] = args[i + 1:]
            break
        if a == "--param":
            opts[a].append(args[i + 1])
        else:
            opts[a] = args[i + 1]
        i += 2

    def shape(text):
        return tuple(int(v) for v in text.split(","))

    def spec(text, rng, inputs):
        """--shapes: a shape (random normal), labels, or a JSON value (a list meant as the array it spells)."""
        if text == "labels":
            return rng.integers(0, inputs[-1].shape[-1], inputs[-1].shape[0])
        if ":int<" in text:  # token ids in [0, V)
            dims, high = text.split(":int<")
            return rng.integers(0, int(high), shape(dims))
        if text.endswith(":bool"):
            return rng.random(shape(text[:-len(":bool")])) < 0.5
        if all(v.strip().isdigit() for v in text.split(",")):
            return rng.standard_normal(shape(text))
        value = json.loads(text)
        return np.array(value) if isinstance(value, list) else value

    kwargs = json.loads(opts.get("--kwargs", "{}"))

    def draw(rng, s):
        if opts.get("--draw") == "uniform":
            return rng.uniform(0.05, 0.95, s)
        return rng.standard_normal(s)

    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))  # constructors draw with numpy's global generator
        kwargs = json.loads(opts.get("--kwargs", "{}"))  # afresh: a list in it must not be shared between calls
        if "--layer" in opts:
            cls = getattr(module, opts["--layer"].split(":")[1])
            arrays = {p.split("=")[0]: rng.standard_normal(shape(p.split("=")[1])) for p in opts["--param"]}
            if opts["--shapes"]:  # the layer's inputs, one spec each (ids, masks)
                inputs = []
                for s in opts["--shapes"]:
                    inputs.append(spec(s, rng, inputs))
                return (cls(**arrays, **kwargs), inputs[0] if len(inputs) == 1 else tuple(inputs)), {}
            x = draw(rng, shape(opts["--input-shape"]))
            if "--targets" in opts:  # a loss layer: one-hot targets
                return (cls(**arrays, **kwargs), x), {"t": np.eye(x.shape[-1])[rng.integers(0, x.shape[-1],
                                                                                            x.shape[0])]}
            return (cls(**arrays, **kwargs), x), {}
        if "--net" in opts:
            net = getattr(module, opts["--net"].split(":")[1])(**kwargs)
            x = rng.standard_normal(shape(opts["--input-shape"]))
            if hasattr(net, "backprop"):  # Nielsen's Network: x and y are columns
                k = kwargs["sizes"][-1]
                return (net, x, np.eye(k)[:, rng.integers(0, k, x.shape[1])]), {}
            k = int(opts["--classes"]) if "--classes" in opts else \
                kwargs.get("output_size", kwargs.get("num_classes", (kwargs.get("layer_sizes") or [None])[-1]))
            return (net, x, rng.integers(0, k, x.shape[0])), {}
        if "--pair" in opts:
            fwd, bwd = (getattr(module, n) for n in opts["--pair"].split(":")[1].split(","))
            inputs = []
            for s in opts["--shapes"]:
                inputs.append(spec(s, rng, inputs))
            return (fwd, bwd, *inputs), {}
        fn = getattr(module, opts["--loss-fn"].split(":")[1])
        inputs = []
        for s in opts["--shapes"]:
            inputs.append(spec(s, rng, inputs))
        return (fn, *inputs), {}
    return dataclasses.replace(case, make=make)


def main(argv):
    verbose = "-v" in argv
    seeds = 1
    if "--seeds" in argv:
        i = argv.index("--seeds")
        seeds = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    wanted = [a for a in argv if not a.startswith("-")]
    batch = ROUND6 if "--r6" in argv else ROUND5 if "--r5" in argv else ROUND4 if "--r4" in argv \
        else ROUND3 if "--r3" in argv \
        else ROUND2 if "--r2" in argv else FRESH if "--fresh" in argv else CASES
    cases = [c for c in batch if not wanted or any(w in c.name for w in wanted)]
    if "--cli" in argv:  # check what the cli arguments describe instead of what make builds
        cases = [cli_make(c) for c in cases if c.cli is not None]
    wrong_correct, silent_buggy, shared = [], [], []
    t0 = time.perf_counter()
    for case in cases:
        for seed in range(seeds):
            defects, details = verify(case, seed)
            if case.bug is None and defects:
                wrong_correct.append((f"{case.name} (seed {seed})", defects, details))
                break
            if case.bug is not None and (not defects or "error" in defects):
                silent_buggy.append((f"{case.name} (seed {seed})", defects, details))
                break
        problems = fresh_objects(case)
        if problems:
            shared.append((case.name, problems))
        if verbose:
            mark = "ok " if (case.bug is None) == (not defects) else "!! "
            print(f"{mark}{case.name:62s} {'BUG ' if case.bug else 'good'} {sorted(defects)} {details}"
                  f"{'  names=' + ','.join(case.names) if case.bug else ''}")
    print(f"\n{len(cases)} cases in {time.perf_counter() - t0:.1f} s")
    print(f"correct cases that disagree with the finite difference: {len(wrong_correct)}")
    for name, defects, details in wrong_correct:
        print(f"  {name}: {sorted(defects)} {details}")
    print(f"buggy cases that agree (no defect found): {len(silent_buggy)}")
    for name, defects, details in silent_buggy:
        print(f"  {name}: {sorted(defects)} {details}")
    print(f"cases whose make() shares objects between calls: {len(shared)}")
    for name, problems in shared:
        print(f"  {name}: {problems}")
    return 1 if wrong_correct or silent_buggy or shared else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
