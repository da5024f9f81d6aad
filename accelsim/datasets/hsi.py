"""Hyperspectral image (HSI) patches, as ACE-SNN classifies them.

A scene is a cube [H, W, bands] with a ground-truth class map [H, W] (0 =
unlabelled). Each labelled pixel gives one sample: the ``patch x patch`` window
of the (PCA-reduced, scaled) cube around it, as a 3-D input [1, bands, patch,
patch], labelled with the centre pixel's class (HybridSN / ACE-SNN practice).

* :func:`synthetic_scene` makes a scene with smooth class spectra, piecewise
  constant regions, illumination changes and sensor noise. It is **synthetic**:
  the real datasets cannot be downloaded on our machines.
* :func:`load_mat_scene` reads the real ``.mat`` files (e.g. ``Indian_pines_corrected.mat``
  with ``Indian_pines_gt.mat``) for users who have them (needs scipy).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from accelsim.errors import fail
from accelsim.util import reader


def synthetic_scene(height: int = 145, width: int = 145, bands: int = 30, classes: int = 8,
                    regions: int = 60, noise: float = 0.04, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic cube [H, W, bands] in [0, 1] and class map [H, W] with labels 1..classes."""
    rng = np.random.default_rng(seed)
    lam = np.linspace(0.0, 1.0, bands)
    # class spectra: a shared baseline plus 2-4 Gaussian absorption/reflection bumps each
    base = 0.3 + 0.2 * lam
    spectra = np.empty((classes, bands))
    for c in range(classes):
        s = base.copy()
        for _ in range(rng.integers(2, 5)):
            s += rng.uniform(-0.25, 0.35) * np.exp(-0.5 * ((lam - rng.uniform(0, 1)) / rng.uniform(0.05, 0.2)) ** 2)
        spectra[c] = s
    # regions: Voronoi cells of random seeds, each with a class; some cells unlabelled background
    seeds = rng.uniform(0, [height, width], size=(regions, 2))
    cls = rng.integers(0, classes + 1, size=regions)  # 0 = background (unlabelled)
    yy, xx = np.mgrid[0:height, 0:width]
    d = (yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2
    gt = cls[np.argmin(d, axis=-1)]
    cube = np.empty((height, width, bands))
    bg = base + 0.05 * np.sin(6 * lam)
    labelled = gt > 0
    cube[labelled] = spectra[gt[labelled] - 1]
    cube[~labelled] = bg
    # smooth illumination field and per-pixel noise
    illum = 1.0 + 0.15 * np.sin(yy / 17.0)[..., None] * np.cos(xx / 23.0)[..., None]
    cube = cube * illum + rng.normal(0.0, noise, cube.shape)
    cube = (cube - cube.min()) / (cube.max() - cube.min())
    return cube, gt


def load_mat_scene(data_mat: str | Path, gt_mat: str | Path, data_key: Optional[str] = None,
                   gt_key: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a real HSI scene from its two ``.mat`` files (cube [H, W, B], ground truth [H, W])."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise fail(str(data_mat), "", "reading .mat files needs scipy: pip install scipy") from None

    def pick(path, key, ndim):
        path = Path(path)
        with reader.open_regular(path, "MATLAB .mat file", reader.MAX_MAT_BYTES) as fh:
            try:
                mat = {k: v for k, v in loadmat(fh).items() if not k.startswith("__")}
            except (ValueError, TypeError, OSError, EOFError, NotImplementedError) as exc:  # scipy's readers
                raise fail(str(path), "", f"not a readable .mat file: {exc}") from None
        if key is not None:
            if key not in mat:
                raise fail(str(path), key, f"variable not found; the file has: {', '.join(mat)}")
            return mat[key]
        cands = [v for v in mat.values() if getattr(v, "ndim", 0) == ndim]
        if len(cands) != 1:
            raise fail(str(path), "", f"expected exactly one {ndim}-D variable, found {len(cands)}; name it explicitly")
        return cands[0]

    cube = np.asarray(pick(data_mat, data_key, 3), dtype=np.float64)
    gt = np.asarray(pick(gt_mat, gt_key, 2), dtype=np.int64)
    if gt.shape != cube.shape[:2]:
        raise fail(str(gt_mat), "", f"ground truth {list(gt.shape)} does not match the cube {list(cube.shape[:2])}")
    return cube, gt


def pca_reduce(cube: np.ndarray, bands: int) -> np.ndarray:
    """Project the spectra onto their first ``bands`` principal components, scaled to [0, 1]."""
    h, w, b = cube.shape
    if bands > b:
        raise ValueError(f"cannot keep {bands} of {b} bands")
    flat = cube.reshape(-1, b)
    flat = flat - flat.mean(axis=0)
    _, _, vt = np.linalg.svd(flat, full_matrices=False)
    red = flat @ vt[:bands].T
    red = (red - red.min()) / (red.max() - red.min())
    return red.reshape(h, w, bands)


def patches(cube: np.ndarray, gt: np.ndarray, patch: int, index: np.ndarray) -> np.ndarray:
    """Patches [N, 1, bands, patch, patch] around the pixels ``index`` [N, 2] (zero padded at borders)."""
    r = patch // 2
    padded = np.pad(cube, ((r, r), (r, r), (0, 0)))
    out = np.empty((len(index), 1, cube.shape[2], patch, patch))
    for k, (i, j) in enumerate(index):
        win = padded[i:i + patch, j:j + patch, :]           # [p, p, bands]
        out[k, 0] = np.transpose(win, (2, 0, 1))
    return out


def split(gt: np.ndarray, train_per_class: int, test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pixel indices [N, 2] of a class-balanced training set and a random test set (disjoint)."""
    rng = np.random.default_rng(seed)
    train, rest = [], []
    for c in np.unique(gt[gt > 0]):
        idx = np.argwhere(gt == c)
        rng.shuffle(idx)
        train.append(idx[:train_per_class])
        rest.append(idx[train_per_class:])
    train_idx = np.concatenate(train)
    rest_idx = np.concatenate(rest)
    test_idx = rest_idx[rng.permutation(len(rest_idx))[:test]]
    return train_idx, test_idx
