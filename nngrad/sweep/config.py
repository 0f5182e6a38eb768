"""What a sweep measures: sizes, methods, the network family and the time budget."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .. import _validate as validate
from ..backend import Backend, from_label
from ..errors import InvalidType, InvalidValue, MissingPackage
from ..methods import available_methods, get
from ..methods.base import Method
from ..methods.prefix import DEFAULT_MAX_BYTES
from ..model.activations import hidden_activations
from ..model.counts import memory_bytes, num_params
from ..model.losses import LOSSES
from ..runfiles import CLASSIC

DTYPES = ("float64", "float32")
# besides the grid, for every method: the classic network at batch 1 and 64, wide networks at batch 64 (where
# the report's "peers and limits" targets apply; the peers' table, compiled backprop against JAX: the classic
# network at batch 1, 16 and 64, widths 128 and 256 at batch 64)
TARGET_NETWORKS = ((5, 32, 1), (5, 32, 64), (2, 64, 64), (2, 128, 64), (2, 256, 64), (2, 512, 64))


@dataclass(frozen=True)
class SweepConfig:
    """What to sweep. Every (depth, width, batch) combination, the ``classic`` network (10 inputs,
    2 outputs, depth 5, width 32, batch 16: the landscape, every method at one network) and the ``extra`` networks are run for every method. ``methods`` defaults to every
    registered method available here that runs on one of the ``devices``; naming one whose package is missing
    raises ImportError saying how to install it. Two limits keep a sweep's wall time predictable: ``budget_s`` per call, and ``total_s`` for the
    whole suite (the costliest points are left out first; never those of the classic network, at any batch).
    ``devices``: where each point runs, "cpu" (numpy), "cuda" or "cuda:N" (torch tensors), or "LIBRARY@DEVICE"
    ("torch@cpu", "array_api_strict@cpu", "cupy@cuda:0"); stored as their labels ("cuda" becomes "cuda:0"). On a
    device other than numpy's CPU only the methods that run there (``Method.array_api``) are planned."""

    depths: tuple[int, ...] = (1, 2, 4, 8, 16)
    widths: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512)
    batches: tuple[int, ...] = (16,)
    methods: tuple[str, ...] | None = None  # None: every one available here that runs on one of the devices
    budget_s: float = 5.0  # a point whose one call is predicted slower than this is skipped
    total_s: float | None = 180.0  # the costliest points are left out until the suite is predicted to fit this
    timing_s: float = 0.25  # timed seconds aimed at per point (rounds x iterations x call)
    max_rounds: int = 50
    num_input: int = 10
    num_output: int = 2
    seed: int = 0
    activation: str = "sigmoid"
    loss: str = "mse"
    classic: tuple[int, int, int] | None = CLASSIC
    extra: tuple[tuple[int, int, int], ...] = TARGET_NETWORKS
    devices: tuple[str, ...] = ("cpu",)
    dtype: str = "float64"  # or "float32": its finite differences err ~1e-3 relative (the report states it)
    # method -> {option: value} given to its prepare at every point (e.g. {"spsa": {"k": 16}}); checked here
    method_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("depths", "widths", "batches"):
            values = getattr(self, name)
            if not values:
                raise InvalidValue(f"{name} must list at least one size")
            for v in values:
                validate.positive_int(name, v)
        if isinstance(self.devices, str) or not self.devices:
            raise InvalidValue(f"devices must list at least one device, e.g. ('cpu', 'cuda'); got {self.devices!r}")
        labels = tuple(from_label(d).label for d in self.devices)  # a bad or missing device: one line, here
        if len(set(labels)) < len(labels):
            raise InvalidValue(f"devices must not name one device twice; got {', '.join(self.devices)}")
        object.__setattr__(self, "devices", labels)
        if self.methods is None:
            object.__setattr__(self, "methods", tuple(m for m in available_methods()
                                                      if any(_runs_on(get(m), from_label(d)) for d in self.devices)))
        if not self.methods:
            raise InvalidValue("methods must list at least one method")
        for m in self.methods:
            if reason := get(m).missing():
                raise MissingPackage(reason)
        if nowhere := [m for m in self.methods if not any(m in self.methods_on(d) for d in self.devices)]:
            raise InvalidValue(f"{', '.join(nowhere)} cannot run on {', '.join(self.devices)} (numpy-only methods "
                               "need cpu, the -graph methods cuda): change the devices or leave those methods out")
        if not isinstance(self.method_options, dict):
            raise InvalidType(f"method_options must be a dict of method -> {{option: value}}, got "
                              f"{type(self.method_options).__name__}")
        for name, given in self.method_options.items():
            if name not in self.methods:
                raise InvalidValue(f"method_options names {name!r}, which this sweep does not time (its methods: "
                                   f"{', '.join(self.methods)})")
            checked_options(name, given)
        validate.positive_float("budget_s", self.budget_s)
        if self.total_s is not None:
            validate.positive_float("total_s", self.total_s)
        validate.positive_float("timing_s", self.timing_s)
        validate.choice("activation", self.activation, hidden_activations())
        validate.choice("loss", self.loss, LOSSES)
        validate.choice("dtype", self.dtype, DTYPES)
        for name, networks in (("classic", [self.classic] if self.classic else []), ("extra", self.extra)):
            for network in networks:
                if len(network) != 3:
                    raise InvalidValue(f"{name} must hold (depth, width, batch) triples, got {network!r}")
                for v in network:
                    validate.positive_int(name, v)
        d, w, b = max(self.networks(), key=lambda n: memory_bytes(self.sizes(n[0], n[1]), n[2]))
        for label in self.devices:  # the same bound as a method's chunks, against where the arrays live
            where = from_label(label)
            validate.fits_in_memory(f"the sweep's largest network (depth {d}, width {w}, batch {b}, N = "
                                    f"{num_params(self.sizes(d, w)):,}) on {label}",
                                    memory_bytes(self.sizes(d, w), b) + DEFAULT_MAX_BYTES,
                                    None if where.device == "cpu" else where.free_bytes(),
                                    "memory" if where.device == "cpu" else "device memory")

    def methods_on(self, device: str) -> list[str]:
        """The sweep's methods that run on ``device`` (a label of ``devices``): on numpy's CPU every one but the
        CUDA graphs; elsewhere those that run on any array library, with the CUDA graphs on CUDA through torch."""
        return [m for m in self.methods if _runs_on(get(m), from_label(device))]

    def sizes(self, depth: int, width: int) -> list[int]:
        """Layer sizes of a network of the sweep: [num_input, width x depth, num_output]."""
        return [self.num_input] + [width] * depth + [self.num_output]

    def networks(self) -> list[tuple[int, int, int]]:
        """Every (depth, width, batch) of the sweep: the grid, then the classic and extra networks not on it."""
        grid = [(d, w, b) for b in self.batches for d in self.depths for w in self.widths]
        extra = [tuple(n) for n in ([self.classic] if self.classic else []) + list(self.extra)]
        return list(dict.fromkeys(grid + extra))


def checked_options(name: str, given: object) -> dict:
    """``given`` ({option: value}) if the method ``name`` takes those options with those values: each key one of
    its declared options, the values checked by preparing it on a tiny network (the method's own checks: one line
    naming the option). Nothing is timed."""
    method = get(name)
    if not isinstance(given, dict):
        raise InvalidType(f"the options of {name} must be a dict of option -> value, got {type(given).__name__}")
    if unknown := [k for k in given if k not in method.options]:
        raise InvalidValue(f"{name} takes no option {unknown[0]!r} (its options: "
                           f"{', '.join(method.options) or 'none'})")
    if given:
        from ..model.network import DNN

        net = DNN(1, 2, 2, 1, seed=0)  # N = 9
        method.prepare(net, *net.check_data(np.zeros((1, 2)), np.zeros((1, 1))), **given)
    return dict(given)


def _runs_on(method: Method, where: Backend) -> bool:
    """Does ``method`` run on arrays of ``where`` (a sweep's device)?"""
    return (where.is_numpy or method.array_api) and (where.can_capture or not method.cuda_only)


# the quick sweep: small networks, and the lesson's network (the classic one: one point per method, at the quick
# batch) with its headline; its total leaves out grid points first, never the classic network's
QUICK = SweepConfig(depths=(1, 2, 4, 8), widths=(16, 64), budget_s=1.0, total_s=35.0, timing_s=0.1, max_rounds=10,
                    extra=())


def configure(quick: bool = False, **given) -> SweepConfig:
    """The sweep of the default (or QUICK) config with the fields ``given`` (None: not given). A grid of one's own
    (depths, widths or batches given) leaves out the default's extra networks of the targets; without ``methods``
    every registered method available here that runs on one of the devices is swept."""
    overrides = {k: v for k, v in given.items() if v is not None}
    if {"depths", "widths", "batches"} & set(overrides):
        overrides["extra"] = ()
    overrides.setdefault("methods", None)
    cfg = replace(QUICK if quick else SweepConfig(), **overrides)
    if reasons := nothing_to_time(cfg):
        raise InvalidValue(f"nothing to time: no method of this sweep applies to its networks ({cfg.activation}, "
                           f"{cfg.loss}): {'; '.join(reasons)}")
    return cfg


def nothing_to_time(cfg: SweepConfig) -> list[str]:
    """Why no method of ``cfg`` applies to any of its networks on any of its devices (each method's ``why_not``
    on the smallest network), or [] when one does. Only networks are built, nothing is timed: the smallest first,
    the others only while nothing applies."""
    from .networks import build_on

    networks = sorted(cfg.networks(), key=lambda n: num_params(cfg.sizes(n[0], n[1])) * n[2])
    reasons: dict[str, str] = {}
    for device in cfg.devices:
        for depth, width, batch in networks:
            net = build_on(device, depth, width, batch, cfg.num_input, cfg.num_output, cfg.seed, cfg.activation,
                           cfg.loss, cfg.dtype)[0]
            why = {name: get(name).why_not(net) for name in cfg.methods_on(device)}
            if not all(why.values()):
                return []
            for name, reason in why.items():
                reasons.setdefault(name, reason)
    return list(reasons.values())


def left_out(cfg: SweepConfig) -> list[str]:
    """Why each registered method that ``cfg`` does not sweep is left out (its package, or its devices)."""
    from ..methods import registered

    notes = []
    for method in registered().values():
        if reason := method.missing():
            notes.append(f"{method.name} is left out: {reason}")
        elif method.name not in cfg.methods:
            notes.append(f"{method.name} is left out: it runs {method.runs_on}, not on {', '.join(cfg.devices)}")
    return notes
