"""Data sets for training: scikit-learn's bundled 8x8 digits (the ``data`` extra) and MNIST's IDX files.

Images come back flattened and scaled to [0, 1] as float64 (n, pixels); labels as int64 (n,).
"""

from __future__ import annotations

import gzip
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as validate
from .errors import InvalidType, InvalidValue, MissingPackage

# IDX type codes (the third byte of the magic number) -> big-endian numpy dtypes
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_CODES = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}


@dataclass
class Dataset:
    """A classification data set split in train and test: x (n, features) in [0, 1], y (n,) integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def num_features(self) -> int:
        return self.x_train.shape[1]

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.y_train)} train / {len(self.y_test)} test, "
                f"{self.num_features} features, {self.num_classes} classes)")


def split(name: str, x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int | None,
          num_classes: int | None = None) -> Dataset:
    """Shuffle (seeded) and split into train and test; every class keeps its share in both (stratified)."""
    if not 0 < test_fraction < 1:
        raise InvalidValue(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    num_classes = num_classes or int(y.max()) + 1
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        test[members[:round(len(members) * test_fraction)]] = True
    if test.all() or not test.any():
        raise InvalidValue(f"{name}: {len(y)} samples are too few to split {test_fraction:.0%} of every class "
                         "into a test set; give more samples or separate test files")
    train_idx, test_idx = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
    return Dataset(name, x[train_idx], y[train_idx], x[test_idx], y[test_idx], num_classes)


def load_digits(test_fraction: float = 0.2, seed: int | None = 0) -> Dataset:
    """scikit-learn's bundled handwritten digits: 1,797 8x8 images (64 features, 0..16 scaled to [0, 1])."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise MissingPackage("the digits data set comes with scikit-learn: install the data extra, "
                          "pip install -e '.[data]'") from None
    bunch = sklearn_digits()
    return split("digits", bunch.data / 16.0, bunch.target.astype(np.int64), test_fraction, seed, 10)


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (gzipped or not, by its content) as a numpy array of its shape and type."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InvalidValue(f"{path} is a broken gzip file ({exc})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_TYPES or raw[3] == 0:
        raise InvalidValue(f"{path} is not an IDX file (its magic number is {raw[:4].hex() or 'missing'}; "
                         "expected 0000 then a type code 08/09/0b/0c/0d/0e and the number of dimensions)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InvalidValue(f"{path} is not an IDX file: its header is cut short")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise InvalidValue(f"{path} is not a valid IDX file: shape {shape} needs {expected} bytes of data, "
                         f"it holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file; gzipped when ``compress`` (default: when the name ends in .gz)."""
    path, array = Path(path), np.asarray(array)
    code = IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise InvalidType(f"array dtype {array.dtype} has no IDX type; use one of "
                        f"{', '.join(str(d) for d in IDX_CODES)}")
    if not 1 <= array.ndim <= 255:
        raise InvalidValue(f"array must have 1 to 255 dimensions, got {array.ndim}")
    raw = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
           + array.astype(np.dtype(IDX_TYPES[code])).tobytes())
    if compress if compress is not None else path.suffix == ".gz":
        raw = gzip.compress(raw)
    path.write_bytes(raw)


def load_mnist(images: str | Path, labels: str | Path, test_images: str | Path | None = None,
               test_labels: str | Path | None = None, test_fraction: float = 0.2, seed: int | None = 0,
               limit: int | None = None) -> Dataset:
    """MNIST (or any IDX image/label pair): pixels 0..255 scaled to [0, 1] and flattened.

    With test files given they are the test split; otherwise ``test_fraction`` of the training files is.
    ``limit`` keeps the first ``limit`` samples of each file (a quick run on a subset).
    """
    x, y = _images_and_labels(images, labels, limit)
    if (test_images is None) != (test_labels is None):
        raise InvalidValue("test_images and test_labels go together: give both or neither")
    num_classes = class_count(y, labels)  # classes 0..max of the training labels (MNIST: 10)
    if test_images is None:
        return split("mnist", x, y, test_fraction, seed, num_classes)
    xt, yt = _images_and_labels(test_images, test_labels, limit)
    if xt.shape[1] != x.shape[1]:
        raise InvalidValue(f"test images have {xt.shape[1]} pixels, training images {x.shape[1]}")
    if yt.max() >= num_classes:
        raise InvalidValue(f"test labels go up to {yt.max()}, beyond the {num_classes} classes of the training labels")
    order = np.random.default_rng(seed).permutation(len(y))
    return Dataset("mnist", x[order], y[order], xt, yt, num_classes)


def class_count(y: np.ndarray, source: str | Path) -> int:
    """The number of classes of integer labels y (n,): max + 1, with a warning when some of 0..max have no sample
    (labels that are not 0..K-1 give the network outputs no sample trains)."""
    num_classes = int(y.max()) + 1
    absent = np.flatnonzero(np.bincount(y, minlength=num_classes) == 0)
    if absent.size:
        shown = ", ".join(map(str, absent[:5])) + (f" ... ({absent.size} in all)" if absent.size > 5 else "")
        warnings.warn(f"{source}: labels are not 0..K-1: they go up to {num_classes - 1}, so the network gets "
                      f"{num_classes} classes, but no sample has class {shown}; renumber the labels 0..K-1",
                      UserWarning, stacklevel=3)
    return num_classes


def _images_and_labels(images: str | Path, labels: str | Path, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_idx(images), read_idx(labels)
    if x.ndim < 2:
        raise InvalidValue(f"{images} holds a {x.ndim}-D array, not images (n, rows, cols)")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise InvalidValue(f"{labels} must hold a 1-D array of integer labels, got shape {y.shape} of {y.dtype}")
    if len(x) != len(y):
        raise InvalidValue(f"{images} holds {len(x)} images but {labels} holds {len(y)} labels")
    if len(y) == 0:
        raise InvalidValue(f"{labels} holds no samples")
    if y.min() < 0:
        raise InvalidValue(f"labels must be non-negative class numbers, {labels} holds {y.min()}")
    if limit is not None:
        limit = validate.positive_int("limit", limit)
        x, y = x[:limit], y[:limit]
    scale = 255.0 if x.dtype == np.uint8 else max(float(np.abs(x).max()), 1.0)
    return x.reshape(len(x), -1) / scale, y.astype(np.int64)
