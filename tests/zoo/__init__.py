"""A zoo of small numpy layers, functional pairs, losses, networks and a micrograd-style engine, written the way
learners write them: about half correct, half with one known bug each (marked ``# BUG:`` in the code).

``CASES``: every case nngrad's tests are built on (see ``case.Case``); ``FRESH``: the first-contact batch of issue
25, learner code in styles and with bugs that ``CASES`` does not contain, written before the checker was taught them
and scored once as it stood (``FIRST_CONTACT.md``); ``ROUND2``: the second first-contact batch, written after two
rounds of fixes for issue 25 in styles and with bugs that neither ``CASES`` nor ``FRESH`` contains, scored once
(``ROUND2.md``); ``ROUND3``: the third first-contact batch, in styles and with bugs that none of ``CASES``,
``FRESH``, ``ROUND2`` contains, written without reading the checker and scored once (``ROUND3.md``); ``ROUND4``:
the fourth, in styles and with bugs that none of the batches before it contains, written without reading the
checker and scored once on the code main had at the go signal (``ROUND4.md``); ``ROUND5``: the fifth, in styles
and with bugs that none of the batches before it contains (how learners organise code: a trainer over a list of
layer dicts, a registry of named parameters, a flat parameter buffer with views, layers that store their
``grad_input``, a tape of closures), written without reading the checker and scored once on main's code at the go
signal (``ROUND5.md``); ``ROUND6``: the sixth, in styles and with bugs that none of the batches before it contains
(layers whose backward returns a dict, a net built from a config list with ``step_backward``, ``np.ndarray``
subclass parameters, a Keras ``Model`` subclass, an operator-overloading autograd and one keyed by ``id()``, maxout,
highway, squeeze-excitation, instance norm, overlapping pools, an embedding bag, losses returning a dict), written
without reading the checker and scored once on main's code at the go signal (``ROUND6.md``);
``module_file(case)``: the path of the module that holds a case's
code (what ``{file}`` stands for in ``case.cli``), for either list."""

from pathlib import Path

from . import (beyond, cs231n, dict_params, dlfs, dls, keraslike, micrograd, networks, nielsen, nielsen2, nnfs,
               notebook, purepython, r2_autograd, r2_bow, r2_chainer, r2_d2l, r2_kerasseq, r2_losses, r2_ng, r2_sklearn,
               r3_conv, r3_einsum, r3_fastai, r3_jax, r3_nnfs_model, r3_npml, r3_probloss, r4_charrnn, r4_closures,
               r4_dataclass, r4_detlosses, r4_dlfs_extend, r4_graph, r4_namedtuple, r4_namespace, r4_vjp,
               r5_conv1d, r5_flatbuf, r5_gru, r5_losses, r5_registry, r5_seqgrad, r5_tape, r5_trainer,
               r6_autograd, r6_build, r6_keras, r6_layers, r6_losses, r6_param,
               sgd_tutorial, torchlike)
from .case import Case

MODULES = {"dlfs": dlfs, "nnfs": nnfs, "sgd_tutorial": sgd_tutorial, "dict_params": dict_params, "cs231n": cs231n,
           "networks": networks, "micrograd": micrograd}
FRESH_MODULES = {"torchlike": torchlike, "keraslike": keraslike, "nielsen": nielsen, "nielsen2": nielsen2,
                 "dls": dls, "purepython": purepython, "notebook": notebook, "beyond": beyond}
ROUND2_MODULES = {"r2_d2l": r2_d2l, "r2_sklearn": r2_sklearn, "r2_chainer": r2_chainer, "r2_ng": r2_ng,
                  "r2_losses": r2_losses, "r2_bow": r2_bow, "r2_autograd": r2_autograd, "r2_kerasseq": r2_kerasseq}
ROUND3_MODULES = {"r3_nnfs_model": r3_nnfs_model, "r3_jax": r3_jax, "r3_fastai": r3_fastai, "r3_npml": r3_npml,
                  "r3_einsum": r3_einsum, "r3_conv": r3_conv, "r3_probloss": r3_probloss}
ROUND4_MODULES = {"r4_dlfs_extend": r4_dlfs_extend, "r4_closures": r4_closures, "r4_vjp": r4_vjp,
                  "r4_dataclass": r4_dataclass, "r4_namedtuple": r4_namedtuple, "r4_namespace": r4_namespace,
                  "r4_charrnn": r4_charrnn, "r4_graph": r4_graph, "r4_detlosses": r4_detlosses}
ROUND5_MODULES = {"r5_trainer": r5_trainer, "r5_registry": r5_registry, "r5_flatbuf": r5_flatbuf,
                  "r5_seqgrad": r5_seqgrad, "r5_tape": r5_tape, "r5_conv1d": r5_conv1d, "r5_gru": r5_gru,
                  "r5_losses": r5_losses}
ROUND6_MODULES = {"r6_layers": r6_layers, "r6_losses": r6_losses, "r6_autograd": r6_autograd, "r6_param": r6_param,
                  "r6_keras": r6_keras, "r6_build": r6_build}

CASES: list[Case] = [case for module in MODULES.values() for case in module.CASES]
FRESH: list[Case] = [case for module in FRESH_MODULES.values() for case in module.CASES]
ROUND2: list[Case] = [case for module in ROUND2_MODULES.values() for case in module.CASES]
ROUND3: list[Case] = [case for module in ROUND3_MODULES.values() for case in module.CASES]
ROUND4: list[Case] = [case for module in ROUND4_MODULES.values() for case in module.CASES]
ROUND5: list[Case] = [case for module in ROUND5_MODULES.values() for case in module.CASES]
ROUND6: list[Case] = [case for module in ROUND6_MODULES.values() for case in module.CASES]

_names = [c.name for c in CASES + FRESH + ROUND2 + ROUND3 + ROUND4 + ROUND5 + ROUND6]
assert len(_names) == len(set(_names)), sorted({n for n in _names if _names.count(n) > 1})
assert not set(MODULES) & set(FRESH_MODULES) and not (set(MODULES) | set(FRESH_MODULES)) & set(ROUND2_MODULES)
assert not (set(MODULES) | set(FRESH_MODULES) | set(ROUND2_MODULES)) & set(ROUND3_MODULES)
assert not (set(MODULES) | set(FRESH_MODULES) | set(ROUND2_MODULES) | set(ROUND3_MODULES)) & set(ROUND4_MODULES)
assert not (set(MODULES) | set(FRESH_MODULES) | set(ROUND2_MODULES) | set(ROUND3_MODULES)
            | set(ROUND4_MODULES)) & set(ROUND5_MODULES)
assert not (set(MODULES) | set(FRESH_MODULES) | set(ROUND2_MODULES) | set(ROUND3_MODULES)
            | set(ROUND4_MODULES) | set(ROUND5_MODULES)) & set(ROUND6_MODULES)


def module_of(case: Case):
    """The module that holds a case's code (a case's name starts with its module's)."""
    prefix = case.name.split(".")[0]
    return {**MODULES, **FRESH_MODULES, **ROUND2_MODULES, **ROUND3_MODULES, **ROUND4_MODULES,
            **ROUND5_MODULES, **ROUND6_MODULES}[prefix]


def module_file(case: Case) -> Path:
    return Path(module_of(case).__file__)


def cli_args(case: Case) -> tuple[str, ...] | None:
    """case.cli with ``{file}`` filled in."""
    if case.cli is None:
        return None
    return tuple(a.replace("{file}", str(module_file(case))) for a in case.cli)


__all__ = ["CASES", "FRESH", "ROUND2", "ROUND3", "ROUND4", "ROUND5", "ROUND6", "Case", "cli_args", "module_file",
           "module_of"]
