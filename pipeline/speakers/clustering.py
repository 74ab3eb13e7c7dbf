"""Window embeddings -> speakers: spectral clustering on a nearest-neighbour graph, and the speaker count.

The count: k >= 2 groups from the largest normalised eigengap of the graph, kept only when the split's silhouette
reaches MIN_SILHOUETTE (else one speaker). Calibrated on real Dutch voices and espeak-ng voices, clean and through a
phone channel, and reported on a real two-person phone call: see bench/calibrate_speakers.py and the README.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

MAX_SPEAKERS = 10
# The speaker count (bench/calibrate_speakers.py has the evidence): eigenvalues of the normalised Laplacian below
# EIGEN_FLOOR count as zero; a split into speakers is kept when its silhouette is at least MIN_SILHOUETTE.
EIGEN_FLOOR = 1e-3
MIN_SILHOUETTE = 0.23


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # (n,) cluster index per window
    centroids: np.ndarray  # (k, 256), L2-normalised
    forced: bool


def _affinity(x: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Symmetric k-nearest-neighbour connectivity on cosine similarity (what sklearn's "nearest_neighbors" does)."""
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    nearest = np.argpartition(-sim, n_neighbors, axis=1)[:, :n_neighbors]
    graph = np.zeros_like(sim, dtype=np.float64)
    np.put_along_axis(graph, nearest, 1.0, axis=1)
    np.fill_diagonal(graph, 1.0)
    return 0.5 * (graph + graph.T)


def _spectral_embedding(affinity: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """The `dims` + 1 smallest eigenvalues of the normalised Laplacian (one more for the gap after the last), and
    the rows of the first `dims` eigenvectors scaled to unit length (Ng-Jordan-Weiss)."""
    from scipy.linalg import eigh

    degree = affinity.sum(axis=1)
    inv = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(len(affinity)) - inv[:, None] * affinity * inv[None, :]
    values, vectors = eigh(laplacian, subset_by_index=[0, min(dims + 1, len(affinity)) - 1])
    vectors = vectors[:, :dims]
    return values, vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _kmeans(points: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(points)


def _centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    cents = np.stack([x[labels == c].mean(axis=0) if np.any(labels == c) else np.zeros(x.shape[1]) for c in range(k)])
    return cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)


def eigengap_count(values: np.ndarray, max_speakers: int, floor: float = EIGEN_FLOOR) -> int:
    """The k >= 2 with the largest normalised eigengap: the smallest ratio lambda_k / lambda_(k+1) (NME-SC's idea,
    Park et al. 2019). Eigenvalues below `floor` count as `floor`, so k zero eigenvalues (k disconnected groups)
    do not compare rounding noise with rounding noise."""
    clipped = np.maximum(np.asarray(values, dtype=np.float64), floor)
    top = min(max_speakers, len(clipped) - 1)
    if top < 2:
        return min(2, len(clipped))
    ratios = clipped[1:top] / clipped[2: top + 1]  # lambda_k / lambda_(k+1) for k = 2..top
    return int(np.argmin(ratios)) + 2


def split_silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (cosine distance) of a split of the windows; 0 for fewer than two groups."""
    if len(set(labels.tolist())) < 2:
        return 0.0
    from sklearn.metrics import silhouette_score

    return float(silhouette_score(x, labels, metric="cosine"))


def cluster_windows(embeddings: np.ndarray, *, num_speakers: int | None = None, max_speakers: int = MAX_SPEAKERS,
                    max_cluster_windows: int = 2000, min_silhouette: float = MIN_SILHOUETTE) -> Clustering:
    """Cluster window embeddings into speakers (spectral clustering on a nearest-neighbour graph).

    The count: the number of groups k >= 2 is the largest normalised eigengap of the graph (`eigengap_count`); the
    windows are split into k groups, and the split is kept only when its silhouette is at least `min_silhouette`,
    else everything is one speaker. Both are relative measures (neighbour ranks, distances compared with distances),
    so a narrow channel that squeezes every voice together (a phone call) does not merge two people; a fixed
    centroid cosine did. Calibrated on real Dutch voices and espeak-ng voices, clean and through a phone channel:
    see bench/calibrate_speakers.py. `num_speakers` forces the count instead.
    """
    n = len(embeddings)
    forced = num_speakers is not None
    if n == 0:
        return Clustering(np.zeros(0, int), np.zeros((0, 256), np.float32), forced)
    # Long recordings: cluster an even subsample (bounded memory), then give every window its nearest centroid.
    step = max(1, int(np.ceil(n / max_cluster_windows)))
    sample = embeddings[::step].astype(np.float64)
    m = len(sample)
    if forced:
        wanted = max(1, min(int(num_speakers or 1), m))
    elif m < 8:
        wanted = 1
    else:
        wanted = 0
    labels = np.zeros(m, int)
    if wanted != 1:
        neighbours = min(int(np.clip(round(m * 0.05), 10, 40)), m - 1)
        values, spectral = _spectral_embedding(_affinity(sample, neighbours), max(max_speakers, wanted))
        if wanted:
            labels = _kmeans(spectral[:, :wanted], wanted)
        else:
            k = eigengap_count(values, min(max_speakers, m - 1))
            candidate = _kmeans(spectral[:, :k], k)
            silhouette = split_silhouette(sample, candidate)
            log.debug("eigengap: %d groups, silhouette %.3f (one speaker below %.3f)", k, silhouette, min_silhouette)
            if silhouette >= min_silhouette:
                labels = candidate
    k = int(labels.max()) + 1
    centroids = _centroids(sample, labels, k)
    all_labels = np.argmax(embeddings @ centroids.T, axis=1)
    centroids = _centroids(embeddings, all_labels, k)
    return Clustering(np.argmax(embeddings @ centroids.T, axis=1), centroids, forced)


# -- words -> speakers -> turns --------------------------------------------------------------------------
