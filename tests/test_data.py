import gzip

import numpy as np
import pytest

from nngrad.data import load_digits, load_mnist, read_idx, split, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trips(tmp_path, dtype, name, rng):
    array = (rng.standard_normal((4, 3, 2)) * 50).astype(dtype)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == dtype and back.shape == (4, 3, 2)
    np.testing.assert_array_equal(back, array)
    assert ((tmp_path / name).read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_idx_header_is_the_standard_one(tmp_path):
    write_idx(tmp_path / "labels.idx", np.array([7, 2, 1], dtype=np.uint8))
    assert (tmp_path / "labels.idx").read_bytes() == b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x02\x01"


@pytest.mark.parametrize("content,words", [
    (b"", "not an IDX file"),
    (b"PK\x03\x04 a zip file", "not an IDX file"),
    (b"\x00\x00\x08\x02\x00\x00", "header is cut short"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "needs 5 bytes of data, it holds 2"),
    (b"\x1f\x8b\x08\x00broken", "broken gzip file"),
])
def test_files_that_are_not_idx_are_rejected(tmp_path, content, words):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        read_idx(path)


def test_missing_idx_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_idx(tmp_path / "train-images-idx3-ubyte.gz")


@pytest.fixture
def mnist_files(tmp_path, rng):
    """A small MNIST look-alike: 60 28x28 uint8 images, 6 per class, gzipped like the real files."""
    labels = np.repeat(np.arange(10, dtype=np.uint8), 6)
    images = rng.integers(0, 256, (60, 28, 28)).astype(np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:20])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:20])
    return tmp_path, images, labels


def test_mnist_is_flattened_scaled_and_split(mnist_files):
    folder, images, _labels = mnist_files
    data = load_mnist(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz", test_fraction=0.5)
    assert data.num_features == 784 and data.num_classes == 10
    assert len(data.y_train) == len(data.y_test) == 30
    assert np.bincount(data.y_test).tolist() == [3] * 10  # stratified
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1
    row = data.x_train[0]
    assert any(np.array_equal(row, img.reshape(-1) / 255) for img in images)


def test_mnist_with_separate_test_files_and_a_limit(mnist_files):
    folder, _, _ = mnist_files
    data = load_mnist(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz",
                      folder / "t10k-images-idx3-ubyte", folder / "t10k-labels-idx1-ubyte", limit=50)
    assert len(data.y_train) == 50 and len(data.y_test) == 20


def test_mnist_mismatches_are_named(mnist_files, tmp_path):
    folder, _images, labels = mnist_files
    write_idx(tmp_path / "short-labels", labels[:10])
    with pytest.raises(ValueError, match="holds 60 images but .* holds 10 labels"):
        load_mnist(folder / "train-images-idx3-ubyte.gz", tmp_path / "short-labels")
    write_idx(tmp_path / "float-labels", labels.astype(np.float32))
    with pytest.raises(ValueError, match="integer labels"):
        load_mnist(folder / "train-images-idx3-ubyte.gz", tmp_path / "float-labels")
    with pytest.raises(ValueError, match="give both or neither"):
        load_mnist(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz",
                   test_images=folder / "t10k-images-idx3-ubyte")


def test_split_refuses_an_empty_test_set(rng):
    with pytest.raises(ValueError, match="too few to split"):
        split("tiny", rng.random((5, 2)), np.arange(5), 0.2, 0)
    with pytest.raises(ValueError, match="test_fraction must lie strictly between 0 and 1"):
        split("tiny", rng.random((5, 2)), np.arange(5), 1.0, 0)


def test_digits_are_the_bundled_1797_images():
    pytest.importorskip("sklearn")
    data = load_digits(test_fraction=0.2, seed=0)
    assert len(data.y_train) + len(data.y_test) == 1797 and data.num_features == 64
    assert data.x_train.max() == 1.0 and data.x_train.min() == 0.0
    assert abs(len(data.y_test) - 0.2 * 1797) < 10


def test_gzip_detection_is_by_content_not_name(tmp_path):
    raw = b"\x00\x00\x08\x01\x00\x00\x00\x02\x05\x06"
    (tmp_path / "plain.gz").write_bytes(raw)
    (tmp_path / "zipped.idx").write_bytes(gzip.compress(raw))
    assert read_idx(tmp_path / "plain.gz").tolist() == read_idx(tmp_path / "zipped.idx").tolist() == [5, 6]


def test_labels_that_are_not_0_to_k_minus_1_are_warned_about(mnist_files, tmp_path):
    folder, _images, labels = mnist_files
    gappy = labels.copy()
    gappy[0] = 200  # one stray label: 201 classes, 191 of them without a sample
    write_idx(tmp_path / "gappy-labels", gappy)
    with pytest.warns(UserWarning, match=r"labels are not 0..K-1: they go up to 200, so the network gets 201 classes"):
        data = load_mnist(folder / "train-images-idx3-ubyte.gz", tmp_path / "gappy-labels", test_fraction=0.5)
    assert data.num_classes == 201


def test_labels_0_to_k_minus_1_load_without_a_warning(mnist_files, recwarn):
    folder, _, _ = mnist_files
    load_mnist(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz", test_fraction=0.5)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
