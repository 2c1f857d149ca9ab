#!/usr/bin/env python3
"""Golden fixtures for the metric-learning losses -> tests/fixtures/metric.json.

Anchors (see each case's `anchor`):
  * triplet_margin -- torch.nn.TripletMarginLoss(margin, p, eps, swap, reduction) for the euclidean
    hinge; torch.nn.TripletMarginWithDistanceLoss(distance_function, margin, swap, reduction) for
    "squared_euclidean" (F.pairwise_distance(p=2, eps)**2) and "cosine" (1 - F.cosine_similarity,
    eps 1e-8); torch applies swap as min(d(a, n), d(positive, negative)). soft_margin (softplus of
    the violation, as pytorch-metric-learning's smooth_loss) is re-created with the same distances
    (TripletMarginWithDistanceLoss only has the hinge, and needs margin > 0).
  * triplet_mined -- pytorch-metric-learning (PML) 2.9.0:
      - batch_all: losses.TripletMarginLoss(margin, swap=False, smooth_loss, triplets_per_anchor="all")
        with no miner (every valid triplet), distance LpDistance(normalize_embeddings, p=2, power=1)
        (power=2 for "squared_euclidean") or CosineSimilarity() for "cosine" (inverted: PML's
        s_an - s_ap is (1 - s_ap) - (1 - s_an)); reducer MeanReducer() ("mean") or
        AvgNonZeroReducer() (nonzero_mean). "sum" / "none" take PML's own per-triplet losses
        (reducer DoNothingReducer()) summed, per anchor for "none".
      - batch_hard: the same loss on the triplets of miners.BatchHardMiner(distance=same distance).
      - semi_hard: TF-Addons TripletSemiHardLoss / triplet_semihard_loss (tensorflow/addons
        d208d752, tensorflow_addons/losses/triplet.py and metric_learning.py; TF-Addons is not
        installed) transcribed op by op into torch (TFA_* below: pairwise_distance,
        angular_distance, _masked_minimum, _masked_maximum). TF-Addons' default distance_metric is
        "L2" = NON-squared euclidean (pairwise_distance(squared=False)); "squared-L2" and "angular"
        (1 - cos, clamped at 0) are the other two. (Before tensorflow/addons#1966, July 2020, the
        option was spelt "L_2" and meant the SQUARED distance, as in tf.contrib's original.)
        Our straightforward definition (module docstring of the Rust loss) is computed separately;
        on every case where every anchor has a negative, its pre-activation matrix equals the
        TF-Addons loss_mat on every positive pair, and for the hinge "mean" cases the values and
        gradients equal the TF-Addons scalar. The other configurations (soft_margin, nonzero_mean,
        "sum", "none") are our definition on those same TF-Addons-selected negatives.
  * contrastive --
      (a) input1 / input2 / target: "squared" with pos_margin 0 = TF-Addons contrastive_loss
          (tensorflow_addons/losses/contrastive.py, re-created) on d = ||x1 - x2||_2, Keras mean;
          not squared with 0/1 targets = PML losses.ContrastiveLoss(pos_margin, neg_margin) on
          (input1, ref_emb=input2) with the indices tuple of the pairs (i, i) split by target,
          reducer DoNothingReducer(), per-pair losses summed per row; soft targets re-created.
      (b) distance / target: TF-Addons contrastive_loss (re-created), Keras mean; the other
          configurations re-created.
      (c) embeddings / labels: PML losses.ContrastiveLoss(pos_margin, neg_margin=margin,
          distance=LpDistance(normalize_embeddings, p=2, power=1), reducer=MeanReducer() or
          AvgNonZeroReducer()) over PML's get_all_pairs_indices (both orders); "cosine" as PML's
          CosineSimilarity() with pos_margin' = 1 - pos_margin and neg_margin' = 1 - margin (its
          relu(pos_margin' - s) = relu(d - pos_margin), relu(s - neg_margin') = relu(margin - d));
          "sum" / "none" from DoNothingReducer() per-pair losses; squared=true re-created
          (TF-Addons' square form applied to every pair).
  * nt_xent -- PML losses.NTXentLoss(temperature) (default reducer MeanReducer: mean over the
    positive pairs); "sum" / "none" from DoNothingReducer() per-pair losses.
  * supcon -- PML losses.SupConLoss(temperature) (default reducer AvgNonZeroReducer: mean over the
    anchors with a loss > 0); "sum" / "none" from DoNothingReducer() per-anchor losses.
  * arcface / cosface -- PML losses.ArcFaceLoss / losses.CosFaceLoss(num_classes, embedding_size,
    margin, scale) in float64 with PML's W ([D, C]) replaced by class_weights.T, so that the
    gradient of class_weights is recorded (checked against W.grad.T of an untouched module);
    default reducer MeanReducer; "sum" / "none" from DoNothingReducer().
Every PML / torch / TF-Addons value is also recomputed from our own definitions (the `*_ref`
functions) and must agree in value and gradient (relative 1e-9).

Inputs are drawn in float32 on a 1/64 grid and the references run in float64 on exactly those
values. Gradients are d(sum of the loss output)/d(each float input that requires grad): anchor /
positive / negative, embeddings, input1 / input2, distance and class_weights; labels (int64) and
targets take none. Inputs are re-drawn until no two distances that a selection or a hinge compares
lie within 1e-3 of each other (the selections and kinks must be unambiguous in float32), no two rows
coincide, and arcface's target angles stay below pi - margin with |cos| <= 0.95. Tolerances are
Case's defaults, except scale-64 arcface / cosface (logits up to 64: atol 1e-5 and grad_atol 1e-4 x the
largest gradient). As a check of those tolerances, every case is recomputed from our definitions in
float32 (F32_RATIOS, a stand-in for the float32 Rust loss) and must stay within half of them.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/metric.py
"""
import math
import os
import sys

import pytorch_metric_learning as pml
import torch
import torch.nn.functional as F
from pytorch_metric_learning import distances, losses, miners, reducers

sys.path.insert(0, os.path.dirname(__file__))
from common import Case, write_fixtures  # noqa: E402

torch.manual_seed(20261210)
G = torch.Generator().manual_seed(29)

PML = "pytorch-metric-learning 2.9.0"
TFA = "TF-Addons (tensorflow/addons d208d752)"
GAP = 1e-3  # the least separation of any two distances a selection or a hinge compares


def grid(t):
    """Rounds to multiples of 1/64 (exact in float32, short in the JSON)."""
    return torch.round(t * 64.0).double() / 64.0


def emb(*shape, scale=1.0):
    return grid(torch.randn(*shape, generator=G) * scale)


def class_labels(n, k, kind="random"):
    """Labels [N]: "random" (k classes, each at least twice), "singleton" (class k - 1 once, the others
    at least twice), "distinct" (all different), "single" (all 0), "views" (0, 0, 1, 1, ...)."""
    if kind == "distinct":
        return torch.randperm(n, generator=G)
    if kind == "single":
        return torch.zeros(n, dtype=torch.long)
    if kind == "views":
        return torch.arange(n) // 2
    m = k - 1 if kind == "singleton" else k
    fixed = [c for c in range(m) for _ in range(2)] + ([k - 1] if kind == "singleton" else [])
    rest = torch.randint(0, m, (n - len(fixed),), generator=G).tolist()
    t = torch.tensor(fixed + rest)
    return t[torch.randperm(n, generator=G)]


def clustered(labels, d, spread=0.7, scale=1.0):
    """Embeddings around one random centre per class (so that mining has hard and easy triplets)."""
    k = int(labels.max()) + 1
    centres = torch.randn(k, d, generator=G) * scale
    return grid(centres[labels] + torch.randn(len(labels), d, generator=G) * spread)


def eye(n):
    return torch.eye(n, dtype=torch.bool)


def rows_ok(e, least=0.25):
    return bool((e.norm(dim=1) > least).all())


def separated(values, gap=GAP):
    s = torch.sort(values.flatten()).values
    return len(s) < 2 or float((s[1:] - s[:-1]).min()) > gap


def agree(ref, ours, inputs, tol=1e-9):
    """ref and ours agree in value and in the gradient of their sums w.r.t. every input."""
    assert ref.shape == ours.shape, (ref.shape, ours.shape)
    assert torch.allclose(ref, ours, rtol=tol, atol=tol), (ref, ours)
    g1 = torch.autograd.grad(ref.sum(), inputs, retain_graph=True, allow_unused=True)
    g2 = torch.autograd.grad(ours.sum(), inputs, retain_graph=True, allow_unused=True)
    for a, b, x in zip(g1, g2, inputs):
        a = torch.zeros_like(x) if a is None else a
        b = torch.zeros_like(x) if b is None else b
        assert torch.allclose(a, b, rtol=tol, atol=tol), (a, b)


def reduce(per, reduction, count=None):
    """per: the per-row losses [N]; "mean" divides their sum by `count` (N by default; 0 -> the sum, 0)."""
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "sum":
        return total
    count = per.numel() if count is None else count
    return total / count if count else total


def per_anchor(losses_, anchors, like):
    """PML per-term losses summed onto their anchors ([N]); PML's 0 (no terms) gives zeros that stay
    connected to `like`, so that the (zero) gradients are recorded."""
    out = like.sum(dim=1) * 0.0
    if torch.is_tensor(losses_) and losses_.numel():
        out = out.index_add(0, anchors, losses_)
    return out + 0.0  # no -0.0 in the JSON


F32_RATIOS = {}


def f32_ratio(case, fn):
    """Our definition recomputed in float32 from the case's inputs (a stand-in for the float32 Rust loss): the
    worst |float32 - expected| / (atol + rtol |expected|) over the output and the gradients."""
    xs = {k: (v.detach().float().requires_grad_(v.requires_grad) if v.is_floating_point() else v)
          for k, v in case.inputs.items()}
    out = fn(xs)
    worst = float(((out.detach().double() - case.output.detach()).abs()
                   / (case.tol["atol"] + case.tol["rtol"] * case.output.detach().abs())).max())
    names = list(case.grads)
    if names:
        gs = torch.autograd.grad(out.sum(), [xs[k] for k in names], allow_unused=True)
        for k, g in zip(names, gs):
            g = torch.zeros_like(xs[k]) if g is None else g
            ref = case.grads[k]
            r = ((g.double() - ref).abs() / (case.tol["grad_atol"] + case.tol["grad_rtol"] * ref.abs())).max()
            worst = max(worst, float(r))
    F32_RATIOS[case.name] = worst
    return case


cases = []

# ================================================================== triplet_margin


def tm_distance(x, y, distance, p=2.0, eps=1e-6):
    if distance == "euclidean":
        return F.pairwise_distance(x, y, p=p, eps=eps)
    if distance == "squared_euclidean":
        return F.pairwise_distance(x, y, p=2.0, eps=eps) ** 2
    return 1.0 - F.cosine_similarity(x, y, dim=1, eps=1e-8)


def triplet_margin_parts(a, pos, neg, distance, p, eps, swap):
    d_ap = tm_distance(a, pos, distance, p, eps)
    d_an = tm_distance(a, neg, distance, p, eps)
    d_pn = tm_distance(pos, neg, distance, p, eps)
    return d_ap, (torch.minimum(d_an, d_pn) if swap else d_an), d_an, d_pn


def triplet_margin_ref(a, pos, neg, margin, p, eps, swap, soft, distance, reduction):
    d_ap, d_an, _, _ = triplet_margin_parts(a, pos, neg, distance, p, eps, swap)
    v = d_ap - d_an + margin
    return reduce(F.softplus(v) if soft else F.relu(v), reduction)


TM_CASES = [
    # name, distance, p, margin, swap, soft, reduction, n, d, partial config
    ("defaults_euclidean_p2_mean", "euclidean", 2.0, 1.0, False, False, "mean", 5, 3, True),
    ("euclidean_p1_sum", "euclidean", 1.0, 1.0, False, False, "sum", 5, 3, False),
    ("euclidean_p3_none", "euclidean", 3.0, 1.0, False, False, "none", 5, 4, False),
    ("euclidean_swap_mean", "euclidean", 2.0, 1.0, True, False, "mean", 6, 3, False),
    ("soft_margin_euclidean_mean", "euclidean", 2.0, 1.0, False, True, "mean", 5, 3, False),
    ("soft_margin_margin0_sum", "euclidean", 2.0, 0.0, False, True, "sum", 5, 3, False),
    ("soft_margin_swap_p1_none", "euclidean", 1.0, 0.5, True, True, "none", 6, 3, False),
    ("squared_euclidean_mean", "squared_euclidean", 2.0, 1.0, False, False, "mean", 5, 3, False),
    ("squared_euclidean_swap_margin02_none", "squared_euclidean", 2.0, 0.2, True, False, "none", 6, 3, False),
    ("cosine_margin02_none", "cosine", 2.0, 0.2, False, False, "none", 5, 4, False),
    ("cosine_swap_margin05_sum", "cosine", 2.0, 0.5, True, False, "sum", 6, 4, False),
]

for name, distance, p, margin, swap, soft, reduction, n, d, partial in TM_CASES:
    eps = 1e-6
    for _attempt in range(1000):
        a = emb(n, d)
        pos = grid(a + torch.randn(n, d, generator=G) * 0.6)
        neg = grid(a + torch.randn(n, d, generator=G) * 1.0)
        if not all(rows_ok(x) for x in (a, pos, neg)):
            continue
        d_ap, d_an, d_an0, d_pn = triplet_margin_parts(a, pos, neg, distance, p, eps, swap)
        v = d_ap - d_an + margin
        ok = bool((v.abs() > GAP).all()) and bool((v > 0).any())  # no kink, at least one active row
        if swap:  # min(d_an, d_pn) unambiguous, and taken from each side at least once
            ok &= bool(((d_an0 - d_pn).abs() > GAP).all()) and bool((d_pn < d_an0).any()) and \
                bool((d_pn > d_an0).any())
        if ok:
            break
    else:
        raise RuntimeError(f"triplet_margin/{name}: could not draw separated distances")
    for x in (a, pos, neg):
        x.requires_grad_()
    ours = triplet_margin_ref(a, pos, neg, margin, p, eps, swap, soft, distance, reduction)
    if soft:
        out = ours
        d_text = f"F.pairwise_distance(p={p}, eps=1e-6)" if distance == "euclidean" else distance
        anchor = (f"re-created: softplus(d(a, p) - d(a, n) + margin) per row (PML TripletMarginLoss smooth_loss form), "
                  f"d = {d_text}"
                  + (", d(a, n) := min(d(a, n), d(positive, negative)) as torch's swap" if swap else "")
                  + f", reduction '{reduction}' as torch")
    elif distance == "euclidean":
        out = torch.nn.TripletMarginLoss(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)(a, pos, neg)
        anchor = f"torch.nn.TripletMarginLoss(margin={margin}, p={p}, eps=1e-6, swap={swap}, reduction='{reduction}')"
    else:
        fn_text = ("lambda x, y: F.pairwise_distance(x, y, p=2, eps=1e-6) ** 2" if distance == "squared_euclidean"
                   else "lambda x, y: 1 - F.cosine_similarity(x, y, dim=1, eps=1e-8)")
        out = torch.nn.TripletMarginWithDistanceLoss(
            distance_function=lambda x, y, dist=distance: tm_distance(x, y, dist, 2.0, eps), margin=margin,
            swap=swap, reduction=reduction)(a, pos, neg)
        anchor = (f"torch.nn.TripletMarginWithDistanceLoss(distance_function={fn_text}, margin={margin}, "
                  f"swap={swap}, reduction='{reduction}')")
    agree(out, ours, [a, pos, neg])
    cfg = {"type": "triplet_margin"} if partial else {
        "type": "triplet_margin", "margin": margin, "p": p, "eps": eps, "swap": swap, "soft_margin": soft,
        "distance": distance, "reduction": reduction}
    cases.append(f32_ratio(
        Case(f"triplet_margin/{name}", anchor, cfg, {"anchor": a, "positive": pos, "negative": neg}, out),
        lambda x, args=(margin, p, eps, swap, soft, distance, reduction):
        triplet_margin_ref(x["anchor"], x["positive"], x["negative"], *args)))


# ================================================================== triplet_mined


def pair_matrix(e, distance, normalize):
    """[N, N] distances over the batch; euclidean with an exact 0 (and a zero gradient) on the diagonal."""
    if normalize:
        e = F.normalize(e, p=2, dim=1, eps=1e-12)
    if distance == "cosine":
        u = F.normalize(e, p=2, dim=1, eps=1e-12)
        return 1.0 - u @ u.T
    diff = e[:, None, :] - e[None, :, :]
    sq = (diff * diff).sum(-1)
    if distance == "squared_euclidean":
        return sq
    off = eye(e.shape[0])
    return torch.sqrt(torch.where(off, torch.ones_like(sq), sq)).masked_fill(off, 0.0)


def masks(labels):
    same = labels[:, None] == labels[None, :]
    return same & ~eye(len(labels)), ~same


def semi_hard_negatives(D, labels):
    """Index [N, N] of the negative chosen for each positive pair (a, p): the closest negative farther
    than p, else the farthest negative; and the kept pairs (positive pairs whose anchor has a negative)."""
    pos, neg = masks(labels)
    n = len(labels)
    idx = torch.arange(n)[:, None].repeat(1, n)  # unused pairs point at the anchor itself
    Dd = D.detach()
    for a in range(n):
        negs = neg[a].nonzero().flatten()
        if len(negs) == 0:
            continue
        for p in pos[a].nonzero().flatten():
            outside = negs[Dd[a, negs] > Dd[a, p]]
            idx[a, p] = outside[Dd[a, outside].argmin()] if len(outside) else negs[Dd[a, negs].argmax()]
    return idx, pos & neg.any(dim=1, keepdim=True)


def mined_terms(e, labels, mining, margin, distance, normalize):
    """Pre-activation terms d_ap - d_an + margin (anchor first) and their validity mask."""
    D = pair_matrix(e, distance, normalize)
    pos, neg = masks(labels)
    if mining == "batch_all":
        return D[:, :, None] - D[:, None, :] + margin, pos[:, :, None] & neg[:, None, :]
    if mining == "batch_hard":
        keep = pos.any(dim=1) & neg.any(dim=1)
        d_ap = D.masked_fill(~pos, float("-inf")).max(dim=1).values
        d_an = D.masked_fill(~neg, float("inf")).min(dim=1).values
        return torch.where(keep, d_ap - d_an, torch.zeros_like(d_ap)) + margin, keep
    idx, keep = semi_hard_negatives(D, labels)
    return D - D.gather(1, idx) + margin, keep


def mined_ref(e, labels, mining, margin, distance, normalize, soft, nonzero, reduction):
    v, valid = mined_terms(e, labels, mining, margin, distance, normalize)
    terms = (F.softplus(v) if soft else F.relu(v)) * valid
    per = terms.reshape(terms.shape[0], -1).sum(dim=1)
    count = int(((terms > 0) & valid).sum()) if nonzero else int(valid.sum())
    return reduce(per, reduction, count)


def mined_ok(e, labels, margin, distance, normalize):
    """Every anchor's distances to the other rows pairwise separated (and no row coinciding with
    another), every triplet's hinge away from its kink."""
    D = pair_matrix(e, distance, normalize)
    n = len(labels)
    off = ~eye(n)
    if float(D[off].min()) < 0.05:
        return False
    if not all(separated(D[a][off[a]]) for a in range(n)):
        return False
    pos, neg = masks(labels)
    v = D[:, :, None] - D[:, None, :] + margin
    valid = pos[:, :, None] & neg[:, None, :]
    return not bool((v[valid].abs() < GAP).any())


# ---- TF-Addons triplet_semihard_loss, transcribed op by op (tensorflow_addons/losses/triplet.py and
# metric_learning.py at d208d752; tf.float32 casts of masks are float64 here)
def tfa_pairwise_distance(feature, squared=False):
    pairwise_distances_squared = (
        feature.square().sum(dim=1, keepdim=True) + feature.T.square().sum(dim=0, keepdim=True)
    ) - 2.0 * (feature @ feature.T)
    pairwise_distances_squared = torch.maximum(pairwise_distances_squared, torch.zeros_like(pairwise_distances_squared))
    error_mask = pairwise_distances_squared <= 0.0
    if squared:
        pairwise_distances = pairwise_distances_squared
    else:
        pairwise_distances = torch.sqrt(pairwise_distances_squared + error_mask.double() * 1e-16)
    pairwise_distances = pairwise_distances * (~error_mask).double()
    num_data = feature.shape[0]
    mask_offdiagonals = torch.ones_like(pairwise_distances) - torch.diag(torch.ones(num_data, dtype=torch.float64))
    return pairwise_distances * mask_offdiagonals


def tfa_l2_normalize(x):
    """tf.math.l2_normalize(x, axis=1): x * rsqrt(max(sum(x^2), 1e-12))."""
    return x * torch.rsqrt(torch.clamp_min(x.square().sum(dim=1, keepdim=True), 1e-12))


def tfa_angular_distance(feature):
    feature = tfa_l2_normalize(feature)
    angular_distances = 1 - feature @ feature.T
    return torch.maximum(angular_distances, torch.zeros_like(angular_distances))


def tfa_masked_maximum(data, mask, dim=1):
    axis_minimums = data.min(dim=dim, keepdim=True).values
    return ((data - axis_minimums) * mask).max(dim=dim, keepdim=True).values + axis_minimums


def tfa_masked_minimum(data, mask, dim=1):
    axis_maximums = data.max(dim=dim, keepdim=True).values
    return ((data - axis_maximums) * mask).min(dim=dim, keepdim=True).values + axis_maximums


def tfa_semihard_loss_mat(labels, embeddings, margin=1.0, distance_metric="L2"):
    """triplet_semihard_loss up to its loss_mat and mask_positives."""
    labels = labels.reshape(-1, 1)
    if distance_metric == "L2":
        pdist_matrix = tfa_pairwise_distance(embeddings, squared=False)
    elif distance_metric == "squared-L2":
        pdist_matrix = tfa_pairwise_distance(embeddings, squared=True)
    else:
        assert distance_metric == "angular"
        pdist_matrix = tfa_angular_distance(embeddings)
    adjacency = labels == labels.T
    adjacency_not = ~adjacency
    batch_size = labels.numel()
    pdist_matrix_tile = pdist_matrix.repeat(batch_size, 1)  # tf.tile(pdist_matrix, [batch_size, 1])
    mask = adjacency_not.repeat(batch_size, 1) & (pdist_matrix_tile > pdist_matrix.T.reshape(-1, 1))
    mask_final = (mask.double().sum(dim=1, keepdim=True) > 0.0).reshape(batch_size, batch_size).T
    adjacency_not = adjacency_not.double()
    mask = mask.double()
    negatives_outside = tfa_masked_minimum(pdist_matrix_tile, mask).reshape(batch_size, batch_size).T
    negatives_inside = tfa_masked_maximum(pdist_matrix, adjacency_not).repeat(1, batch_size)
    semi_hard_negatives = torch.where(mask_final, negatives_outside, negatives_inside)
    loss_mat = margin + (pdist_matrix - semi_hard_negatives)
    mask_positives = adjacency.double() - torch.diag(torch.ones(batch_size, dtype=torch.float64))
    return loss_mat, mask_positives


def tfa_triplet_semihard_loss(labels, embeddings, margin=1.0, distance_metric="L2"):
    loss_mat, mask_positives = tfa_semihard_loss_mat(labels, embeddings, margin, distance_metric)
    num_positives = mask_positives.sum()
    product = loss_mat * mask_positives
    return torch.maximum(product, torch.zeros_like(product)).sum() / num_positives


# the docstring example of triplet_semihard_loss (its anchor has no negative: TF-Addons counts the pair
# with d_an = 0, the row minimum, where our definition skips it)
assert abs(float(tfa_triplet_semihard_loss(torch.tensor([0, 0]), torch.tensor([[0.0, 1.0], [1.0, 0.0]],
                                                                              dtype=torch.float64))) - 2.4142137) < 1e-6
TFA_METRIC = {"euclidean": "L2", "squared_euclidean": "squared-L2", "cosine": "angular"}


def pml_distance(distance, normalize):
    if distance == "cosine":
        return distances.CosineSimilarity()
    return distances.LpDistance(normalize_embeddings=normalize, p=2, power=2 if distance == "squared_euclidean" else 1)


def pml_distance_text(distance, normalize):
    if distance == "cosine":
        return "CosineSimilarity()"
    return f"LpDistance(normalize_embeddings={normalize}, p=2, power={2 if distance == 'squared_euclidean' else 1})"


MINED_CASES = [
    # name, mining, distance, margin, normalize, soft, nonzero, reduction, label kind, n, d, k, partial config
    ("batch_all/defaults_euclidean_mean", "batch_all", "euclidean", 1.0, False, False, False, "mean", "random",
     8, 3, 3, True),
    ("batch_all/euclidean_margin02_nonzero_mean", "batch_all", "euclidean", 0.2, False, False, True, "mean",
     "random", 10, 3, 4, False),
    ("batch_all/squared_euclidean_mean", "batch_all", "squared_euclidean", 1.0, False, False, False, "mean",
     "random", 9, 3, 3, False),
    ("batch_all/cosine_margin02_mean", "batch_all", "cosine", 0.2, False, False, False, "mean", "random",
     10, 4, 4, False),
    ("batch_all/normalize_margin02_nonzero_mean", "batch_all", "euclidean", 0.2, True, False, True, "mean",
     "random", 9, 4, 3, False),
    ("batch_all/soft_margin_mean", "batch_all", "euclidean", 1.0, False, True, False, "mean", "random",
     8, 3, 3, False),
    ("batch_all/euclidean_sum", "batch_all", "euclidean", 1.0, False, False, False, "sum", "random", 10, 3, 4, False),
    ("batch_all/cosine_none", "batch_all", "cosine", 1.0, False, False, False, "none", "random", 9, 4, 3, False),
    ("batch_all/singleton_class_none", "batch_all", "euclidean", 1.0, False, False, False, "none", "singleton",
     10, 3, 4, False),
    ("batch_all/soft_margin_normalize_sum", "batch_all", "euclidean", 0.2, True, True, False, "sum", "random",
     8, 4, 3, False),
    ("batch_all/all_labels_distinct_mean", "batch_all", "euclidean", 1.0, False, False, False, "mean", "distinct",
     8, 3, 8, False),
    ("batch_hard/euclidean_mean", "batch_hard", "euclidean", 1.0, False, False, False, "mean", "random",
     10, 3, 3, False),
    ("batch_hard/squared_euclidean_margin02_nonzero_mean", "batch_hard", "squared_euclidean", 0.2, False, False,
     True, "mean", "random", 12, 3, 4, False),
    ("batch_hard/cosine_margin02_mean", "batch_hard", "cosine", 0.2, False, False, False, "mean", "random",
     10, 4, 3, False),
    ("batch_hard/normalize_soft_margin_mean", "batch_hard", "euclidean", 1.0, True, True, False, "mean", "random",
     9, 4, 3, False),
    ("batch_hard/singleton_class_none", "batch_hard", "euclidean", 1.0, False, False, False, "none", "singleton",
     10, 3, 4, False),
    ("batch_hard/all_labels_distinct_none", "batch_hard", "euclidean", 1.0, False, False, False, "none",
     "distinct", 8, 3, 8, False),
    ("semi_hard/euclidean_mean", "semi_hard", "euclidean", 1.0, False, False, False, "mean", "random",
     10, 3, 3, False),
    ("semi_hard/squared_euclidean_mean", "semi_hard", "squared_euclidean", 1.0, False, False, False, "mean",
     "random", 10, 3, 4, False),
    ("semi_hard/cosine_margin02_mean", "semi_hard", "cosine", 0.2, False, False, False, "mean", "random",
     10, 4, 3, False),
    ("semi_hard/euclidean_margin02_nonzero_mean", "semi_hard", "euclidean", 0.2, False, False, True, "mean",
     "random", 12, 3, 4, False),
    ("semi_hard/soft_margin_sum", "semi_hard", "euclidean", 1.0, False, True, False, "sum", "random", 9, 3, 3, False),
    ("semi_hard/normalize_none", "semi_hard", "euclidean", 0.2, True, False, False, "none", "random", 10, 4, 3, False),
    ("semi_hard/singleton_class_mean", "semi_hard", "euclidean", 1.0, False, False, False, "mean", "singleton",
     10, 3, 4, False),
    ("semi_hard/single_class_mean", "semi_hard", "euclidean", 1.0, False, False, False, "mean", "single",
     8, 3, 1, False),
]

for name, mining, distance, margin, normalize, soft, nonzero, reduction, kind, n, d, k, partial in MINED_CASES:
    for _attempt in range(1000):
        labels = class_labels(n, k, kind)
        e = clustered(labels, d) if kind not in ("distinct", "single") else emb(n, d)
        if not rows_ok(e) or not mined_ok(e, labels, margin, distance, normalize):
            continue
        v, valid = mined_terms(e, labels, mining, margin, distance, normalize)
        if kind in ("distinct", "single"):
            break
        ok = bool((v[valid] > 0).any())  # some term is active
        if not soft:  # and some term is inactive (nonzero_mean and the hinge's zero branch matter)
            ok &= bool((v[valid] < 0).any())
        if mining == "semi_hard":  # both branches: a negative farther than p exists / does not
            D = pair_matrix(e, distance, normalize)
            idx, keep = semi_hard_negatives(D, labels)
            farther = D.gather(1, idx) > D
            ok &= bool((farther & keep).any()) and bool((~farther & keep).any())
        if ok:
            break
    else:
        raise RuntimeError(f"triplet_mined/{name}: could not draw separated distances")
    e.requires_grad_()
    ours = mined_ref(e, labels, mining, margin, distance, normalize, soft, nonzero, reduction)
    if kind in ("distinct", "single"):
        assert float(ours.detach().abs().sum()) == 0.0

    if mining in ("batch_all", "batch_hard"):
        def pml_loss(reducer):
            loss_fn = losses.TripletMarginLoss(margin=margin, swap=False, smooth_loss=soft, triplets_per_anchor="all",
                                               distance=pml_distance(distance, normalize), reducer=reducer)
            if mining == "batch_hard":
                tuples = miners.BatchHardMiner(distance=pml_distance(distance, normalize))(e, labels)
                return loss_fn(e, labels, tuples)
            return loss_fn(e, labels)

        reducer_text = "AvgNonZeroReducer()" if nonzero else "MeanReducer()"
        if reduction == "mean":
            out = pml_loss(reducers.AvgNonZeroReducer() if nonzero else reducers.MeanReducer())
        else:
            terms = pml_loss(reducers.DoNothingReducer())["loss"]
            per = per_anchor(terms["losses"], None if terms["indices"] is None else terms["indices"][0], e)
            out = reduce(per, reduction)
            reducer_text = ("DoNothingReducer(): its per-triplet losses summed"
                            + (" per anchor" if reduction == "none" else ""))
        anchor = (f"{PML}: losses.TripletMarginLoss(margin={margin}, swap=False, smooth_loss={soft}, "
                  f"triplets_per_anchor='all', distance={pml_distance_text(distance, normalize)}, "
                  f"reducer={reducer_text})"
                  + (f" on the triplets of miners.BatchHardMiner(distance={pml_distance_text(distance, normalize)})"
                     if mining == "batch_hard" else " with no miner (every valid triplet)"))
        if kind == "distinct":
            anchor += "; no valid triplet: PML returns 0 (sum(embeddings * 0)), zero gradient"
        if kind == "singleton":
            anchor += "; one class has a single member (an anchor without positives)"
    else:
        x = F.normalize(e, p=2, dim=1, eps=1e-12) if normalize else e
        metric = TFA_METRIC[distance]
        has_negative = bool(masks(labels)[1].any(dim=1).all())
        if has_negative:  # the negatives TF-Addons selects are ours
            loss_mat, mask_positives = tfa_semihard_loss_mat(labels, x, margin, metric)
            v, valid = mined_terms(e, labels, mining, margin, distance, normalize)
            assert torch.equal(mask_positives > 0, valid)
            assert torch.allclose(loss_mat[valid], v[valid], rtol=1e-9, atol=1e-9)
        anchor = (f"{TFA} TripletSemiHardLoss(margin={margin}, distance_metric='{metric}') = triplet_semihard_loss, "
                  "re-created in torch op by op (tensorflow_addons is not installed)"
                  + (" on F.normalize(embeddings)" if normalize else ""))
        if not soft and not nonzero and reduction == "mean" and has_negative:
            out = tfa_triplet_semihard_loss(labels, x, margin, metric)
        elif has_negative:
            out = ours
            changes = (["softplus in place of the hinge"] if soft else []) + \
                (["mean over the terms > 0"] if nonzero else []) + \
                ([f"reduction '{reduction}'" + (" (per-anchor sums)" if reduction == "none" else "")]
                 if reduction != "mean" else [])
            anchor += ": its semi-hard negatives (loss_mat equal on every positive pair), re-created with " + \
                ", ".join(changes)
        else:
            out = ours
            anchor += (": here no anchor has a negative; our definition skips such pairs (loss 0, zero gradient), "
                       "where TF-Addons counts them with d_an = the row minimum 0 (its docstring example, one "
                       "class of two points, gives 2.4142137)")
        if kind == "singleton":
            anchor += "; one class has a single member (an anchor without positives)"
    agree(out, ours, [e])
    cfg = {"type": "triplet_mined"} if partial else {
        "type": "triplet_mined", "mining": mining, "margin": margin, "distance": distance,
        "normalize_embeddings": normalize, "soft_margin": soft, "nonzero_mean": nonzero, "reduction": reduction}
    cases.append(f32_ratio(
        Case(f"triplet_mined/{name}", anchor, cfg, {"embeddings": e, "labels": labels}, out),
        lambda x, args=(mining, margin, distance, normalize, soft, nonzero, reduction):
        mined_ref(x["embeddings"], x["labels"], *args)))


# ================================================================== contrastive


def contrastive_terms(dist, y, margin, pos_margin, squared):
    q = 2 if squared else 1
    return y * F.relu(dist - pos_margin) ** q + (1.0 - y) * F.relu(margin - dist) ** q


def row_distance(x1, x2, distance):
    if distance == "euclidean":
        return torch.linalg.vector_norm(x1 - x2, dim=1)
    if distance == "squared_euclidean":
        return torch.linalg.vector_norm(x1 - x2, dim=1) ** 2
    return 1.0 - F.cosine_similarity(x1, x2, dim=1, eps=1e-8)


def reduce_nonzero(per, reduction, nonzero):
    return reduce(per, reduction, int((per > 0).sum()) if nonzero and reduction == "mean" else None)


def tfa_contrastive_loss(y_true, y_pred, margin=1.0):
    """tensorflow_addons/losses/contrastive.py contrastive_loss (per sample)."""
    return y_true * y_pred.square() + (1.0 - y_true) * torch.maximum(margin - y_pred, torch.zeros_like(y_pred)).square()


def pml_contrastive(distance, normalize, pos_margin, margin, reducer):
    """PML ContrastiveLoss in our parametrisation (cosine: similarity margins 1 - pos_margin, 1 - margin)."""
    if distance == "cosine":
        return losses.ContrastiveLoss(pos_margin=1.0 - pos_margin, neg_margin=1.0 - margin,
                                      distance=distances.CosineSimilarity(), reducer=reducer)
    return losses.ContrastiveLoss(pos_margin=pos_margin, neg_margin=margin,
                                  distance=pml_distance(distance, normalize), reducer=reducer)


def pml_contrastive_text(distance, normalize, pos_margin, margin):
    if distance == "cosine":
        return (f"losses.ContrastiveLoss(pos_margin={1.0 - pos_margin:g}, neg_margin={1.0 - margin:g}, "
                "distance=CosineSimilarity()) (similarity margins 1 - pos_margin, 1 - margin)")
    return (f"losses.ContrastiveLoss(pos_margin={pos_margin}, neg_margin={margin}, "
            f"distance={pml_distance_text(distance, normalize)})")


def pml_pair_terms(result, like):
    """DoNothingReducer output of ContrastiveLoss -> per-row sums of its pos and neg pair losses."""
    per = like.sum(dim=1) * 0.0
    for key in ("pos_loss", "neg_loss"):
        item = result[key]
        if torch.is_tensor(item["losses"]) and item["losses"].numel():
            per = per.index_add(0, item["indices"][0], item["losses"])
    return per + 0.0


def pair_ok(dist, margin, pos_margin):
    return bool((dist > 0.05).all()) and bool(((dist - margin).abs() > GAP).all()) and \
        bool(((dist - pos_margin).abs() > GAP).all())


# (a) input1 / input2 / target
PAIRS_CASES = [
    # name, distance, margin, pos_margin, squared, nonzero, reduction, soft targets, n, d, partial config
    ("pairs/defaults_squared_mean", "euclidean", 1.0, 0.0, True, False, "mean", False, 6, 3, True),
    ("pairs/not_squared_pos_margin01_margin05_sum", "euclidean", 0.5, 0.1, False, False, "sum", False, 6, 3, False),
    ("pairs/squared_soft_targets_none", "euclidean", 1.0, 0.0, True, False, "none", True, 6, 3, False),
    ("pairs/not_squared_nonzero_mean", "euclidean", 1.0, 0.0, False, True, "mean", False, 8, 3, False),
    ("pairs/cosine_not_squared_margin05_mean", "cosine", 0.5, 0.0, False, False, "mean", False, 6, 4, False),
]

for name, distance, margin, pos_margin, squared, nonzero, reduction, soft, n, d, partial in PAIRS_CASES:
    for _attempt in range(1000):
        x1 = emb(n, d, scale=0.6)
        x2 = grid(x1 + torch.randn(n, d, generator=G) * 0.5)
        if soft:
            y = torch.round(torch.rand(n, generator=G) * 16.0).double() / 16.0
        else:
            y = (torch.rand(n, generator=G) < 0.5).double()
        y[:2] = torch.tensor([1.0, 0.0])
        dist = row_distance(x1, x2, distance)
        per = contrastive_terms(dist, y, margin, pos_margin, squared)
        if rows_ok(x1) and rows_ok(x2) and pair_ok(dist, margin, pos_margin) and bool((per > 0).any()) and \
                bool((per == 0).any() or not nonzero):
            break
    else:
        raise RuntimeError(f"contrastive/{name}: could not draw separated distances")
    x1.requires_grad_()
    x2.requires_grad_()
    ours = reduce_nonzero(contrastive_terms(row_distance(x1, x2, distance), y, margin, pos_margin, squared),
                          reduction, nonzero)
    if squared and pos_margin == 0.0 and distance == "euclidean" and not nonzero:
        per = tfa_contrastive_loss(y, torch.linalg.vector_norm(x1 - x2, dim=1), margin)
        out = reduce(per, reduction)
        anchor = (f"{TFA} contrastive_loss(y_true=target, y_pred=tf.linalg.norm(input1 - input2, axis=1), "
                  f"margin={margin}), re-created in torch (not installed)"
                  + ("; Keras SUM_OVER_BATCH_SIZE mean" if reduction == "mean" else
                     f"; reduction '{reduction}' of its per-sample output"))
    elif not squared and not soft:
        rows = torch.arange(n)
        is_pos = y > 0.5
        tuples = (rows[is_pos], rows[is_pos], rows[~is_pos], rows[~is_pos])
        result = pml_contrastive(distance, False, pos_margin, margin, reducers.DoNothingReducer())(
            x1, indices_tuple=tuples, ref_emb=x2)
        per = pml_pair_terms(result, x1)
        out = reduce_nonzero(per, reduction, nonzero)
        anchor = (f"{PML}: {pml_contrastive_text(distance, False, pos_margin, margin)} on (input1, ref_emb=input2) "
                  "with indices_tuple = the pairs (i, i) split by target, reducer DoNothingReducer(): its per-pair "
                  "losses as the per-sample losses, then "
                  + ({"mean": "mean over N", "sum": "summed", "none": "as [N]"}[reduction] if not nonzero else
                     "averaged over the samples with a loss > 0"))
    else:
        out = ours
        anchor = "re-created: y * max(d - pos_margin, 0)^q + (1 - y) * max(margin - d, 0)^q (TF-Addons form)"
    agree(out, ours, [x1, x2])
    cfg = {"type": "contrastive"} if partial else {
        "type": "contrastive", "margin": margin, "pos_margin": pos_margin, "squared": squared, "distance": distance,
        "nonzero_mean": nonzero, "reduction": reduction}
    cases.append(f32_ratio(
        Case(f"contrastive/{name}", anchor, cfg, {"input1": x1, "input2": x2, "target": y}, out),
        lambda x, args=(distance, margin, pos_margin, squared, reduction, nonzero): reduce_nonzero(contrastive_terms(
            row_distance(x["input1"], x["input2"], args[0]), x["target"], *args[1:4]), *args[4:])))

# (b) distance / target
DIST_CASES = [
    # name, margin, pos_margin, squared, nonzero, reduction, soft targets, n
    ("distance/defaults_squared_mean", 1.0, 0.0, True, False, "mean", False, 8),
    ("distance/squared_margin05_soft_targets_sum", 0.5, 0.0, True, False, "sum", True, 8),
    ("distance/not_squared_pos_margin01_none", 1.0, 0.1, False, False, "none", False, 8),
    ("distance/squared_pos_margin01_nonzero_mean", 1.0, 0.1, True, True, "mean", False, 10),
]

for name, margin, pos_margin, squared, nonzero, reduction, soft, n in DIST_CASES:
    for _attempt in range(1000):
        dist = grid(torch.rand(n, generator=G) * 1.8 + 0.05)
        if soft:
            y = torch.round(torch.rand(n, generator=G) * 16.0).double() / 16.0
        else:
            y = (torch.rand(n, generator=G) < 0.5).double()
        y[:2] = torch.tensor([1.0, 0.0])
        per = contrastive_terms(dist, y, margin, pos_margin, squared)
        if pair_ok(dist, margin, pos_margin) and bool((per > 0).any()) and bool((per == 0).any() or not nonzero):
            break
    else:
        raise RuntimeError(f"contrastive/{name}: could not draw separated distances")
    dist.requires_grad_()
    ours = reduce_nonzero(contrastive_terms(dist, y, margin, pos_margin, squared), reduction, nonzero)
    if squared and pos_margin == 0.0 and not nonzero:
        out = reduce(tfa_contrastive_loss(y, dist, margin), reduction)
        anchor = (f"{TFA} contrastive_loss(y_true=target, y_pred=distance, margin={margin}), re-created in torch "
                  "(not installed)" + ("; Keras SUM_OVER_BATCH_SIZE mean" if reduction == "mean" else
                                       f"; reduction '{reduction}' of its per-sample output")
                  + ("; soft targets in its formula" if soft else ""))
    else:
        out = ours
        anchor = ("re-created: target * max(d - pos_margin, 0)^q + (1 - target) * max(margin - d, 0)^q "
                  f"(q = {2 if squared else 1}; TF-Addons contrastive_loss form)"
                  + ("; mean over the samples with a loss > 0" if nonzero else ""))
    agree(out, ours, [dist])
    cfg = {"type": "contrastive"} if name.startswith("distance/defaults") else {
        "type": "contrastive", "margin": margin, "pos_margin": pos_margin, "squared": squared, "nonzero_mean": nonzero,
        "reduction": reduction}
    cases.append(f32_ratio(
        Case(f"contrastive/{name}", anchor, cfg, {"distance": dist, "target": y}, out),
        lambda x, args=(margin, pos_margin, squared, reduction, nonzero): reduce_nonzero(
            contrastive_terms(x["distance"], x["target"], *args[:3]), *args[3:])))


# (c) embeddings / labels
def contrastive_labels_ref(e, labels, margin, pos_margin, squared, distance, normalize, nonzero, reduction):
    D = pair_matrix(e, distance, normalize)
    pos, neg = masks(labels)
    q = 2 if squared else 1
    P = F.relu(D - pos_margin) ** q * pos
    Q = F.relu(margin - D) ** q * neg
    if reduction == "none":
        return P.sum(dim=1) + Q.sum(dim=1)
    if reduction == "sum":
        return P.sum() + Q.sum()
    out = 0.0
    for terms, valid in ((P, pos), (Q, neg)):
        count = int(((terms > 0) & valid).sum()) if nonzero else int(valid.sum())
        out = out + (terms.sum() / count if count else terms.sum())
    return out


LABEL_CASES = [
    # name, distance, margin, pos_margin, squared, normalize, nonzero, reduction, label kind, n, d, k, margin key
    ("labels/not_squared_mean", "euclidean", 1.0, 0.0, False, False, False, "mean", "random", 8, 3, 3, "margin"),
    ("labels/not_squared_pos_margin01_nonzero_mean", "euclidean", 1.0, 0.1, False, False, True, "mean", "random",
     10, 3, 4, "margin"),
    ("labels/normalize_not_squared_neg_margin05_nonzero_mean", "euclidean", 0.5, 0.0, False, True, True, "mean",
     "random", 9, 4, 3, "neg_margin"),
    ("labels/cosine_not_squared_margin05_pos_margin01_mean", "cosine", 0.5, 0.1, False, False, False, "mean",
     "random", 8, 4, 3, "margin"),
    ("labels/not_squared_singleton_none", "euclidean", 1.0, 0.0, False, False, False, "none", "singleton",
     9, 3, 4, "margin"),
    ("labels/squared_mean", "euclidean", 1.0, 0.0, True, False, False, "mean", "random", 8, 3, 3, "margin"),
    ("labels/squared_pos_margin01_sum", "euclidean", 1.0, 0.1, True, False, False, "sum", "random", 9, 3, 3, "margin"),
    ("labels/squared_nonzero_mean", "euclidean", 0.5, 0.0, True, False, True, "mean", "random", 10, 3, 4, "margin"),
]

for name, distance, margin, pos_margin, squared, normalize, nonzero, reduction, kind, n, d, k, mkey in LABEL_CASES:
    for _attempt in range(1000):
        labels = class_labels(n, k, kind)
        e = clustered(labels, d, spread=0.4, scale=0.6)
        if not rows_ok(e):
            continue
        D = pair_matrix(e, distance, normalize)
        off = ~eye(n)
        pos, neg = masks(labels)
        if not pair_ok(D[off], margin, pos_margin):
            continue
        # some positive and some negative terms active, some inactive
        if bool((D[pos] > pos_margin).any()) and bool((D[neg] < margin).any()) and bool((D[neg] > margin).any()) \
                and (pos_margin == 0.0 or bool((D[pos] < pos_margin).any())):
            break
    else:
        raise RuntimeError(f"contrastive/{name}: could not draw separated distances")
    e.requires_grad_()
    ours = contrastive_labels_ref(e, labels, margin, pos_margin, squared, distance, normalize, nonzero, reduction)
    if not squared:
        if reduction == "mean":
            reducer = reducers.AvgNonZeroReducer() if nonzero else reducers.MeanReducer()
            out = pml_contrastive(distance, normalize, pos_margin, margin, reducer)(e, labels)
            reducer_text = ("AvgNonZeroReducer() (PML's default: the positive and the negative pair losses each "
                            "averaged over their terms > 0, then added)" if nonzero else
                            "MeanReducer() (each sub-loss averaged over its own pairs, then added)")
        else:
            out = reduce(pml_pair_terms(pml_contrastive(distance, normalize, pos_margin, margin,
                                                        reducers.DoNothingReducer())(e, labels), e), reduction)
            reducer_text = ("DoNothingReducer(): its per-pair losses summed"
                            + (" per first index" if reduction == "none" else ""))
        anchor = (f"{PML}: {pml_contrastive_text(distance, normalize, pos_margin, margin)}, reducer={reducer_text}, "
                  "over get_all_pairs_indices (every ordered pair)")
    else:
        out = ours
        anchor = ("re-created: PML ContrastiveLoss's pairs (every ordered pair, pos_pair / neg_pair sub-losses) with "
                  "TF-Addons' squared terms max(d - pos_margin, 0)^2, max(margin - d, 0)^2; "
                  + {"mean": "each sub-loss averaged over its own "
                     + ("terms > 0" if nonzero else "pairs") + ", then added",
                     "sum": "summed over all pairs", "none": "per-first-index sums"}[reduction])
    if kind == "singleton":
        anchor += "; one class has a single member (an anchor without positive pairs)"
    agree(out, ours, [e])
    cfg = {"type": "contrastive", mkey: margin, "pos_margin": pos_margin, "squared": squared, "distance": distance,
           "normalize_embeddings": normalize, "nonzero_mean": nonzero, "reduction": reduction}
    cases.append(f32_ratio(
        Case(f"contrastive/{name}", anchor, cfg, {"embeddings": e, "labels": labels}, out),
        lambda x, args=(margin, pos_margin, squared, distance, normalize, nonzero, reduction):
        contrastive_labels_ref(x["embeddings"], x["labels"], *args)))


# ================================================================== nt_xent / supcon


def cosine_matrix(e):
    u = F.normalize(e, p=2, dim=1, eps=1e-12)
    return u @ u.T


def nt_xent_ref(e, labels, tau, reduction):
    s = cosine_matrix(e) / tau
    pos, neg = masks(labels)
    neg_lse = torch.logsumexp(s.masked_fill(~neg, float("-inf")), dim=1, keepdim=True)
    terms = (torch.logaddexp(s, neg_lse) - s) * pos  # -log(e^s_ap / (e^s_ap + sum_n e^s_an))
    return reduce(terms.sum(dim=1), reduction, int(pos.sum()))


def supcon_ref(e, labels, tau, reduction):
    s = cosine_matrix(e) / tau
    pos, _ = masks(labels)
    log_prob = s - torch.logsumexp(s.masked_fill(eye(len(labels)), float("-inf")), dim=1, keepdim=True)
    npos = pos.sum(dim=1)
    per = -(log_prob * pos).sum(dim=1) / npos.clamp_min(1)
    return reduce(per, reduction, int((per > 0).sum())) + 0.0


SSL_CASES = [
    # name, loss, tau, reduction, label kind, n, d, k, partial config
    ("nt_xent/defaults_tau007_mean", "nt_xent", 0.07, "mean", "random", 8, 4, 3, True),
    ("nt_xent/tau05_sum", "nt_xent", 0.5, "sum", "random", 8, 4, 3, False),
    ("nt_xent/simclr_two_views_tau05_mean", "nt_xent", 0.5, "mean", "views", 8, 4, 4, False),
    ("nt_xent/singleton_tau02_none", "nt_xent", 0.2, "none", "singleton", 9, 4, 4, False),
    ("supcon/defaults_tau01_mean", "supcon", 0.1, "mean", "random", 8, 4, 3, True),
    ("supcon/tau05_sum", "supcon", 0.5, "sum", "random", 9, 4, 3, False),
    ("supcon/singleton_tau05_mean", "supcon", 0.5, "mean", "singleton", 9, 4, 4, False),
    ("supcon/singleton_tau01_none", "supcon", 0.1, "none", "singleton", 8, 3, 3, False),
]

for name, loss, tau, reduction, kind, n, d, k, partial in SSL_CASES:
    for _attempt in range(1000):
        labels = class_labels(n, k, kind)
        if kind == "views":  # two augmented views of each id
            base = emb(n // 2, d)
            e = grid(base.repeat_interleave(2, dim=0) + torch.randn(n, d, generator=G) * 0.3)
        else:
            e = clustered(labels, d, spread=0.6)
        if rows_ok(e) and float(pair_matrix(e, "cosine", False)[~eye(n)].min()) > 0.01:
            break
    else:
        raise RuntimeError(f"{name}: could not draw distinct rows")
    e.requires_grad_()
    if loss == "nt_xent":
        ours = nt_xent_ref(e, labels, tau, reduction)
        fn = losses.NTXentLoss(temperature=tau, **({} if reduction == "mean" else
                                                   {"reducer": reducers.DoNothingReducer()}))
        text = f"losses.NTXentLoss(temperature={tau})"
        if reduction == "mean":
            out = fn(e, labels)
            anchor = f"{PML}: {text} (default reducer MeanReducer: mean over the positive pairs)"
        else:
            terms = fn(e, labels)["loss"]
            out = reduce(per_anchor(terms["losses"], terms["indices"][0], e), reduction)
            anchor = (f"{PML}: {text} with reducer DoNothingReducer(): its per-positive-pair losses summed"
                      + (" per anchor" if reduction == "none" else ""))
    else:
        ours = supcon_ref(e, labels, tau, reduction)
        fn = losses.SupConLoss(temperature=tau, **({} if reduction == "mean" else
                                                   {"reducer": reducers.DoNothingReducer()}))
        text = f"losses.SupConLoss(temperature={tau})"
        if reduction == "mean":
            out = fn(e, labels)
            anchor = f"{PML}: {text} (default reducer AvgNonZeroReducer: mean over the anchors with a loss > 0)"
        else:
            out = reduce(fn(e, labels)["loss"]["losses"], reduction) + 0.0
            anchor = f"{PML}: {text} with reducer DoNothingReducer(): its per-anchor losses" + \
                (", summed" if reduction == "sum" else "")
    if kind == "singleton":
        anchor += "; one class has a single member (an anchor without positives)"
    if kind == "views":
        anchor += "; SimCLR-style batch: labels 0, 0, 1, 1, ... (two views per id)"
    agree(out, ours, [e])
    cfg = {"type": loss} if partial else {"type": loss, "temperature": tau, "reduction": reduction}
    cases.append(f32_ratio(
        Case(name, anchor, cfg, {"embeddings": e, "labels": labels}, out),
        lambda x, f=(nt_xent_ref if loss == "nt_xent" else supcon_ref), args=(tau, reduction):
        f(x["embeddings"], x["labels"], *args)))


# ================================================================== arcface / cosface


def large_margin_ref(loss, e, labels, w, margin, scale):
    cos = F.normalize(e, p=2, dim=1) @ F.normalize(w, p=2, dim=1).T
    onehot = F.one_hot(labels, w.shape[0]).bool()
    c_t = cos[onehot]
    target = torch.cos(torch.acos(c_t) + math.radians(margin)) if loss == "arcface" else c_t - margin
    logits = torch.where(onehot, target[:, None], cos) * scale
    return F.cross_entropy(logits, labels, reduction="none")


def pml_large_margin(loss, c, d, margin, scale, reducer, w=None):
    cls = losses.ArcFaceLoss if loss == "arcface" else losses.CosFaceLoss
    fn = cls(num_classes=c, embedding_size=d, margin=margin, scale=scale, reducer=reducer).double()
    if w is not None:  # PML's W [D, C] := class_weights.T, a view of the input (so its gradient is recorded)
        del fn._parameters["W"]
        fn.W = w.T
    return fn


LM_CASES = [
    # name, loss, margin, scale, reduction, n, d, c, partial config
    ("arcface/defaults_m286_s64_mean", "arcface", 28.6, 64.0, "mean", 6, 4, 4, True),
    ("arcface/m286_s8_mean", "arcface", 28.6, 8.0, "mean", 8, 4, 5, False),
    ("arcface/m10_s8_sum", "arcface", 10.0, 8.0, "sum", 6, 3, 4, False),
    ("arcface/m286_s16_none", "arcface", 28.6, 16.0, "none", 6, 4, 4, False),
    ("arcface/m10_s64_none", "arcface", 10.0, 64.0, "none", 6, 4, 4, False),
    ("cosface/defaults_m035_s64_mean", "cosface", 0.35, 64.0, "mean", 6, 4, 4, True),
    ("cosface/m035_s8_sum", "cosface", 0.35, 8.0, "sum", 8, 4, 5, False),
    ("cosface/m02_s8_none", "cosface", 0.2, 8.0, "none", 6, 3, 4, False),
    ("cosface/m035_s16_mean", "cosface", 0.35, 16.0, "mean", 6, 4, 4, False),
]

for name, loss, margin, scale, reduction, n, d, c, partial in LM_CASES:
    for _attempt in range(1000):
        w = emb(c, d)
        labels = torch.randint(0, c, (n,), generator=G)
        labels[:c] = torch.randperm(c, generator=G)[: min(c, n)]
        # half of the samples near their class weight, the others anywhere
        near = (torch.rand(n, generator=G) < 0.5).double()[:, None]
        e = grid(near * (w[labels] + torch.randn(n, d, generator=G) * 0.6)
                 + (1 - near) * torch.randn(n, d, generator=G))
        if not (rows_ok(e) and rows_ok(w)):
            continue
        cos = F.normalize(e, dim=1) @ F.normalize(w, dim=1).T
        c_t = cos[torch.arange(n), labels]
        # |cos| <= 0.95 (acos stays well conditioned); arcface: theta_y + m below pi (PML's monotone branch)
        if float(cos.abs().max()) <= 0.95 and (loss == "cosface" or
                                                float(torch.acos(c_t).max()) < math.pi - math.radians(margin) - 0.05):
            break
    else:
        raise RuntimeError(f"{name}: could not draw well-conditioned cosines")
    e.requires_grad_()
    w.requires_grad_()
    ours = reduce(large_margin_ref(loss, e, labels, w, margin, scale), reduction)
    if reduction == "mean":
        out = pml_large_margin(loss, c, d, margin, scale, reducers.MeanReducer(), w)(e, labels)
    else:
        out = reduce(pml_large_margin(loss, c, d, margin, scale, reducers.DoNothingReducer(), w)(e, labels)
                     ["loss"]["losses"], reduction)
    agree(out, ours, [e, w])
    # an untouched PML module (W a Parameter holding class_weights.T) gives the same loss and W.grad.T
    plain = pml_large_margin(loss, c, d, margin, scale, reducers.SumReducer())
    plain.W.data = w.detach().T.clone()
    e2 = e.detach().clone().requires_grad_()
    total = plain(e2, labels)
    total.backward()
    assert torch.allclose(total, out.sum() * (n if reduction == "mean" else 1), rtol=1e-12, atol=1e-12)
    g_e, g_w = torch.autograd.grad(ours.sum(), [e, w], retain_graph=True)
    k = 1.0 / n if reduction == "mean" else 1.0
    assert torch.allclose(e2.grad * k, g_e, rtol=1e-9, atol=1e-12)
    assert torch.allclose(plain.W.grad.T * k, g_w, rtol=1e-9, atol=1e-12)
    cls_name = "ArcFaceLoss" if loss == "arcface" else "CosFaceLoss"
    anchor = (f"{PML}: losses.{cls_name}(num_classes={c}, embedding_size={d}, margin={margin}, scale={scale}) in "
              "float64, W = class_weights.T (gradient = W.grad.T), "
              + ("default reducer MeanReducer" if reduction == "mean" else
                 "reducer DoNothingReducer(): its per-sample losses" + (", summed" if reduction == "sum" else "")))
    cfg = {"type": loss, "num_classes": c, "embedding_size": d} if partial else {
        "type": loss, "num_classes": c, "embedding_size": d, "margin": margin, "scale": scale, "reduction": reduction}
    case = Case(name, anchor, cfg, {"embeddings": e, "labels": labels, "class_weights": w}, out)
    if scale >= 64.0:
        # ill-conditioned: logits up to 64, so float32 rounding of the cosines (~1e-7) is amplified 64-fold in the
        # loss and in gradients of size up to ~scale: absolute tolerances 1e-5 (loss) and 1e-4 x max |gradient|
        gmax = max(float(g.abs().max()) for g in case.grads.values())
        case.tol["atol"] = 1e-5
        case.tol["grad_atol"] = float(f"{max(1e-6, 1e-4 * gmax):.1e}")
    cases.append(f32_ratio(case, lambda x, args=(loss,): reduce(
        large_margin_ref(args[0], x["embeddings"], x["labels"], x["class_weights"], margin, scale), reduction)))

# ================================================================== exact ties and edge batches
# Hand-written inputs (exact in float32) that the random draws above exclude on purpose: soft-margin
# terms at an exact tie (softplus'(0) = 1/2, as torch's softplus), a batch of one class for arcface /
# cosface (one logit: the loss is 0), targets past arcface's monotone branch (theta_y > pi - m, PML's
# cos(theta) - m sin(m)), and a batch far from the origin (offset 30: distances from the expanded
# Gram form lose float32 digits unless the batch is centred first).


def _leaf(rows):
    return torch.tensor(rows, dtype=torch.float64).requires_grad_()


def _edge_case(name, anchor, cfg, inputs, out, **tol):
    cases.append(Case(f"edge/{name}", anchor, cfg, inputs, out, **tol))


# triplet_margin, soft margin 0, positive == negative in row 0 (a tie), row 1 an ordinary triplet
a, pos = _leaf([[0.5, -0.25, 1.0], [1.0, 0.5, -0.5]]), _leaf([[0.0, 0.25, 0.5], [0.75, 0.5, 0.0]])
neg = _leaf([[0.0, 0.25, 0.5], [-0.5, 1.0, 0.25]])
out = F.softplus(F.pairwise_distance(a, pos, p=2, eps=1e-6) - F.pairwise_distance(a, neg, p=2, eps=1e-6)).mean()
_edge_case("triplet_margin/soft_margin0_tie_mean",
           "torch: F.softplus(F.pairwise_distance(a, p, eps=1e-6) - F.pairwise_distance(a, n, eps=1e-6)).mean() "
           "(PML smooth_loss form, margin 0)",
           {"type": "triplet_margin", "margin": 0.0, "soft_margin": True}, {"anchor": a, "positive": pos, "negative": neg},
           out)

# triplet_mined batch_hard / batch_all, soft margin 0: rows 1 and 2 coincide (labels 0 and 1): anchor 0's
# hardest positive and closest negative tie
tie_labels = torch.tensor([0, 0, 1, 1])
for mining in ("batch_hard", "batch_all"):
    e = _leaf([[0.5, -0.25, 1.0], [0.0, 0.25, 0.5], [0.0, 0.25, 0.5], [1.0, 1.0, -0.5]])
    dist = distances.LpDistance(normalize_embeddings=False, p=2, power=1)
    fn = losses.TripletMarginLoss(margin=0.0, smooth_loss=True, distance=dist, reducer=reducers.MeanReducer())
    if mining == "batch_hard":
        out = fn(e, tie_labels, miners.BatchHardMiner(distance=dist)(e, tie_labels))
        text = "miners.BatchHardMiner(distance=LpDistance(normalize_embeddings=False)) triplets"
    else:
        out = fn(e, tie_labels)
        text = "no miner (every triplet)"
    _edge_case(f"triplet_mined/{mining}_soft_margin0_tie_mean",
               f"{PML}: losses.TripletMarginLoss(margin=0, smooth_loss=True, distance=LpDistance("
               f"normalize_embeddings=False, p=2, power=1), reducer=MeanReducer()) on {text}",
               {"type": "triplet_mined", "mining": mining, "margin": 0.0, "soft_margin": True},
               {"embeddings": e, "labels": tie_labels}, out)

# nt_xent: anchor 0's positive (row 1) and its negative (row 2) have the same similarity
e = _leaf([[1.0, 0.0, 0.0], [0.75, 1.0, 0.0], [0.75, 1.0, 0.0], [0.0, 0.5, 1.0]])
out = losses.NTXentLoss(temperature=0.5)(e, torch.tensor([0, 0, 1, 1]))
_edge_case("nt_xent/tie_tau05_mean", f"{PML}: losses.NTXentLoss(temperature=0.5) (MeanReducer)",
           {"type": "nt_xent", "temperature": 0.5}, {"embeddings": e, "labels": torch.tensor([0, 0, 1, 1])}, out)

# arcface / cosface with one class, and arcface past its monotone branch (large margin, far targets)
for loss_name, c, margin, scale, rows_e, rows_w, labels_e in [
    ("arcface", 1, 28.6, 64.0, [[0.5, -1.0, 0.25], [1.0, 0.5, 0.0]], [[1.0, 0.5, 0.5]], [0, 0]),
    ("cosface", 1, 0.35, 64.0, [[0.5, -1.0, 0.25], [1.0, 0.5, 0.0]], [[1.0, 0.5, 0.5]], [0, 0]),
    # targets at angles ~ 140-170 degrees with margin 60: theta_y > 180 - 60 (the branch cos(theta) - m sin(m))
    ("arcface", 3, 60.0, 4.0, [[-1.0, 0.125, 0.0], [0.0, -1.0, 0.25], [-0.75, -0.5, 0.25], [1.0, 0.25, 0.0]],
     [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.5]], [0, 1, 1, 2]),
]:
    e, w = _leaf(rows_e), _leaf(rows_w)
    lab = torch.tensor(labels_e)
    fn = pml_large_margin(loss_name, c, 3, margin, scale, reducers.MeanReducer(), w)
    out = fn(e, lab)
    if c == 1:
        assert float(out.detach()) == 0.0
    else:
        cos = (F.normalize(e, dim=1) @ F.normalize(w, dim=1).T)[torch.arange(len(lab)), lab]
        assert int((torch.acos(cos) > math.pi - math.radians(margin)).sum()) >= 2, cos
    cls_name = "ArcFaceLoss" if loss_name == "arcface" else "CosFaceLoss"
    _edge_case(f"{loss_name}/{'one_class' if c == 1 else 'large_angle_branch'}_m{margin:g}_s{scale:g}_mean",
               f"{PML}: losses.{cls_name}(num_classes={c}, embedding_size=3, margin={margin}, scale={scale}) in "
               "float64, W = class_weights.T, MeanReducer",
               {"type": loss_name, "num_classes": c, "embedding_size": 3, "margin": margin, "scale": scale},
               {"embeddings": e, "labels": lab, "class_weights": w}, out)

# batch_all on a clustered batch offset by 30 in every coordinate (norms ~ 50, distances ~ 1)
off_labels = torch.tensor([0, 0, 1, 1, 2, 2])
e = _leaf((clustered(off_labels, 3, spread=0.5) + 30.0).tolist())
out = losses.TripletMarginLoss(margin=1.0, distance=distances.LpDistance(normalize_embeddings=False, p=2, power=1),
                               reducer=reducers.MeanReducer())(e, off_labels)
_edge_case("triplet_mined/batch_all_offset30_mean",
           f"{PML}: losses.TripletMarginLoss(margin=1.0, distance=LpDistance(normalize_embeddings=False, p=2, "
           "power=1), reducer=MeanReducer()), no miner, embeddings offset by 30",
           {"type": "triplet_mined"}, {"embeddings": e, "labels": off_labels}, out)

# the float32 recomputation stays well inside every case's tolerances
worst_case = max(F32_RATIOS, key=F32_RATIOS.get)
assert F32_RATIOS[worst_case] <= 0.5, (worst_case, F32_RATIOS[worst_case])
print(f"float32 recomputation: worst {F32_RATIOS[worst_case]:.3f} x tolerance ({worst_case})")
write_fixtures("metric", __doc__, cases, {
    "torch": torch.__version__,
    "pytorch_metric_learning": pml.__version__,
    "tensorflow_addons": "d208d752e98c310280938efa939117bf635a60a8 (0.23.0-dev; losses/triplet.py, "
                         "losses/metric_learning.py, losses/contrastive.py; re-created, not installed)",
})
