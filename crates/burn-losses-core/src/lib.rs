//! Backend-agnostic loss modules for [burn](https://burn.dev) 0.22.
//!
//! Every loss is a config (`XConfig`: serde, validated by `try_init`) and a module (`X`) whose
//! `forward` runs on any burn `Device` — flex, ndarray, wgpu, tch, cuda — through one code path.
//! The crate is layered, each layer importing only those below it:
//!
//! 1. `error` — one error type ([`LossError`]) whose messages name the field or argument;
//! 2. `tensor` (rank-erased arguments [`DynTensor`] / [`LossInputs`], input checks, one-hot,
//!    the shared math), `reduction` ([`Reduction`], [`ElementLoss`]), `group` ([`DeviceGroup`]),
//!    `fused` (the host kernels);
//! 3. `loss` — the contract every loss implements ([`LossModule`], [`InputKind`], [`TargetKind`],
//!    its named [`Argument`]s) and the one declaration every loss is written with (`loss_config!`:
//!    config fields, module and state, and the `forward` clause its typed API and argument list
//!    come from);
//! 4. `losses/<domain>/` — `classification`, `imbalance`, `segmentation`, `metric`, `regression`,
//!    `margin`: one file per loss or small family;
//! 5. `registry` — [`LossConfig`] / [`Loss`], one line per loss, with the composite [`SumLoss`]
//!    (a sum of losses is a loss: the composite is generic over its terms and the registry
//!    instantiates it with its own configs, so no two files import each other), and [`custom`]
//!    losses; [`docs`], the catalogue `list` / `describe` print.
//!
//! Modules are private; this page is the public surface.
//!
//! # Mixed precision
//!
//! `f16` and `bf16` inputs (what burn's GPU backends train in) work for every loss on every device
//! that has the dtype: each float argument is cast to `f32` when it enters the loss
//! (`DynTensor`), the loss is computed and returned in `f32` — PyTorch's autocast rule for losses —
//! and the gradient reaching a half-precision input comes back in its dtype (the cast is an
//! autodiff op). A gradient beyond the dtype's range (65 504 for f16) is ±inf in it, as in
//! PyTorch. Probabilities near 0 / 1 lose precision in half (`p = 0.999` is held to ±5e-4): use
//! the logit forms (`from_logits: true`), as autocast does for `binary_cross_entropy`. `f64`
//! inputs are computed in `f64`.
//!
//! # Multi-device training
//!
//! The losses run unchanged under burn-train's data-parallel strategies (`MultiDevice`, tested;
//! `DistributedDataParallel`): each device computes the loss on its own batch, so a loss whose
//! value depends on the whole batch is per device — [`BalancedBceLoss`]' β (the device batch's
//! positive fraction), the overlap losses with `batch: true`, [`TripletMinedLoss`]' mining and
//! [`NtXentLoss`]' / [`SupConLoss`]' negatives (within the device batch), [`GhmCLoss`] /
//! [`GhmRLoss`]' gradient density — as it is for each process of a PyTorch DDP run. GHM's EMA
//! (`momentum > 0`) is kept per device ([`GhmState::counts_on`]). To compute these statistics
//! over every device's batch instead, run the loss in a [`DeviceGroup`] of the workers
//! ([`in_device_group`]; burn-losses-train's adapters take one with `with_device_group`): see
//! [`DeviceGroup`].
//!
//! # Keras reductions
//!
//! PyTorch reduces element losses; Keras 3 first computes a loss per sample (the mean over the
//! last axis: `keras.losses.mean_squared_error` on `[N, K]` is `[N]`), then applies
//! `sample_weight` and the reduction. Every element-wise loss (MAE, MSE, Huber, smooth L1,
//! log-cosh, quantile, MAPE, sMAPE, MSLE, Poisson, Charbonnier, the hinge losses), the BCE /
//! binary focal losses and [`KlDivergenceLoss`] (whose per-sample loss is Keras's sum over the
//! last axis) take `reduce_last_axis: true` for Keras's per-sample loss; with it:
//!
//! | `reduction` | value (v: per-sample losses, sw: `weight`) | Keras 3 |
//! |---|---|---|
//! | `"mean"` (alias `"sum_over_batch_size"`) | Σ(v·sw) / #v (zero weights count) | `"sum_over_batch_size"` |
//! | `"sum"` | Σ(v·sw), the sum of the per-sample means | `"sum"` |
//! | `"none"` | v·sw of shape `[N, …]` (the input's without its last axis) | `None` / `"none"` |
//! | `"mean_with_sample_weight"` | Σ(v·sw) / Σ sw as given, 0 when Σ sw = 0 | `"mean_with_sample_weight"` |
//!
//! `weight` may be `[N]` or `[N, 1]` (per sample) or the `"none"` shape (per position, e.g. per
//! timestep `[N, T]` for inputs `[N, T, K]`) — on every loss that takes Keras's reductions (the
//! ones above, focal, balanced BCE, class-balanced, and the per-sample losses Keras also has:
//! cross-entropy (`[N, T]` for logits `[N, C, T]`, Keras's `[N, T, C]`), categorical hinge,
//! cosine similarity), with or without `reduce_last_axis`, through `forward_inputs` / `eval` (the
//! typed `forward` takes `[N]`). `"mean_with_sample_weight"` also works on NLL, Poly-1, multi-margin
//! and Gaussian NLL (`[N]` weights); it is `"mean"` on the losses without a `weight` argument, and
//! RMSE and user-defined losses refuse it. One difference: Keras broadcasts a `[N]` weight
//! against the last axis of a `[N, T]` per-sample loss (numpy broadcasting, an error unless
//! `T = N`); burn-losses reads `[N]` as per sample, as everywhere else. With `reduce_last_axis`
//! the input must have rank ≥ 2 (Keras's mean over the last axis of a `[N]` input is one number
//! for the batch). These paths are composed, never fused. `forward_no_reduction` keeps the averaged axis with size 1. Keras's
//! `Dice` and `Tversky` are [`DiceLoss`] / [`TverskyLoss`] with `average: "micro"` (and `batch:
//! true` for Keras's `axis=None`); Keras's Tversky `alpha` weighs the false negatives, so it is
//! this crate's `beta`.
//!
//! # Trusted inputs
//!
//! The checks that read values back (class indices, `[0, 1]` ranges, `±1` labels) cost one
//! device sync each; [`set_trusted_inputs`] turns them off on the current thread for a training
//! loop whose data is known to be valid. Shape and dtype checks always run.
//!
//! # Settings are explicit
//!
//! The three switches — trusted inputs, the fused kernels ([`set_fused_kernels`]) and the device
//! group ([`in_device_group`]) — act on the thread that computes the loss. A data-parallel
//! worker thread does not see what the main thread set, so carry them as one
//! [`LossSettings`] value: [`LossSettings::scope`] applies it around any code, and
//! burn-losses-train's adapters hold one and apply it around every loss call, on every worker.
//!
//! # Glossary: one spelling per meaning
//!
//! Every config field and argument of every loss, by name. A name means the same thing wherever
//! it appears; where an anchor library spells it otherwise, the older spelling still parses (a
//! serde alias, or an argument alias) and `list --json` shows the canonical one.
//!
//! | name | where | meaning |
//! |---|---|---|
//! | `reduction` | every loss | `"mean"`, `"sum"` or `"none"` (see [`Reduction`]) |
//! | `weight` (config) | `cross_entropy`, `nll`, `multi_margin`, the Dice family | **per-class** weights `[C]` (PyTorch / MONAI `weight=`) |
//! | `weight` (argument) | every loss of `input` and `target` | **per-sample** weights `[N]`, broadcast over the other dims (Keras `sample_weight`) |
//! | `mask` (argument) | overlap losses, `dsc`, `ghm_c`, `ghm_r` | 0 leaves a position out of the loss (GHM: mmdet's `label_weight`; older spelling `valid`) |
//! | `pos_weight` | `bce` | weight of the positive term per class (PyTorch `pos_weight`) |
//! | `alpha`, `beta`, `gamma`, `delta`, `mu` | per loss | the paper's symbol of that loss (focal α balance and γ focusing, Tversky α / β, class-balanced β, smooth-L1 β, Huber δ, GHM μ); each loss's doc says which |
//! | `epsilon` | `bce`, focal losses, `kl_divergence`, `rmse`, `mape`, `smape`, `msle`, `poisson`, `poly1`, `triplet_margin`, `gaussian_nll` | the small constant of that formula (a clip, a floor or an offset; `poly1`: Leng et al.'s ε); older spelling `eps` (PyTorch) |
//! | `smooth_nr`, `smooth_dr` | the Dice family | added to the numerator / denominator of the overlap ratio (MONAI) |
//! | `smooth` | `dsc` | added to numerator and denominator alike (ShannonAI) |
//! | `squared_pred` | the Dice family, `dsc` | squares in the denominator (MONAI; ShannonAI's `square_denominator`) |
//! | `p` | `triplet_margin`, `multi_margin` | an exponent, always a number (norm degree; hinge power 1 or 2) |
//! | `margin` | margin and metric losses | the margin of the hinge (`arcface`: an angle in degrees) |
//! | `from_logits` | binary and focal losses | `input` holds logits (`true`) or probabilities |
//! | `activation` | the Dice family | how `input` becomes probabilities: `"none"`, `"softmax"`, `"sigmoid"` |
//! | `ignore_index` | class-index losses | a target value left out of the loss |
//! | `label_smoothing` | cross-entropy, focal, `bce` | the smoothing ε of the targets |
//! | `distance` | metric losses | `"euclidean"`, `"squared_euclidean"` or `"cosine"` |
//! | `batch` | the Dice family, `dsc` | sums over the batch before the ratio |
//!
//! Paper symbols are kept as the papers and anchors write them (α is focal's class balance and
//! Tversky's false-positive weight): a loss's doc names its own.
//!
//! # Loss families
//!
//! What the losses of one family share (anchors, the PyTorch / Keras equivalents, the policies
//! every member follows); each loss's own doc has its formula and options.
//!
//! ## Cross-entropy, NLL, KL divergence, Poly-1
//!
//! Classic classification losses on class scores `input [N, C]` or `[N, C, d1, …]` (class dim
//! 1): [`CrossEntropyLoss`], [`NllLoss`], [`KlDivergenceLoss`] and [`Poly1Loss`].
//!
//! Cross-entropy, NLL and Poly-1 share one core (`class_nll_terms`): the negative
//! log-likelihood of the target class under `log p`, PyTorch's class weights with their
//! Σw-normalised mean, `ignore_index` and label smoothing.
//!
//! ```python
//! F.cross_entropy(x, t, weight=w, ignore_index=i, label_smoothing=s)   # cross_entropy
//! F.nll_loss(log_p, t, weight=w, ignore_index=i)                       # nll
//! F.kl_div(log_q, p, reduction="batchmean", log_target=False)          # kl_divergence
//! keras.losses.kl_divergence(p, q)                                     # kl_divergence, log_input false
//! ```
//!
//! ## Focal losses
//!
//! Focal losses (Lin et al., 2017, "Focal Loss for Dense Object Detection",
//! <https://arxiv.org/abs/1708.02002>).
//!
//! Both variants down-weight easy examples with the modulating factor `(1 − p)^γ`, computed by one
//! routine (the focal power of the crate's shared math) from `1 − p`, where `p` is the probability of the true label.
//! Probabilities come from log-space (`log_sigmoid` / `log_softmax`) when the input is logits, so
//! the loss and its gradient stay finite for logits in `[−1e4, 1e4]` and any γ ≥ 0 (γ < 1
//! included: `1 − p` is floored at the smallest normal f32 before the power, which changes the
//! factor by < 1e-19 and keeps `d(1 − p)^γ` finite where `1 − p` underflows to 0).
//!
//! | loss | anchor it matches |
//! |---|---|
//! | [`BinaryFocalLoss`] (`"binary_focal"`) | `torchvision.ops.sigmoid_focal_loss` (logits); Keras 3 `binary_focal_crossentropy(apply_class_balancing=True)` (probabilities, label smoothing) |
//! | [`FocalLoss`] (`"focal"`) | kornia 0.9 `focal_loss(alpha=None, weight=α)` summed over classes (logits, `ignore_index`); Keras 3 `categorical_focal_crossentropy` (probabilities, label smoothing); γ = 0: `torch.nn.functional.cross_entropy` |
//! | either, `per_channel: true` | MONAI 1.6 `FocalLoss` (`use_softmax=True, to_onehot_y=True` / `use_softmax=False`): one term per (sample, channel, voxel), `"mean"` over N·C'·spatial, `"sum"` of the (sample, channel) spatial means, `include_background`, per-channel `weight` |
//!
//! PyTorch reference (what the fixtures in `tests/fixtures/classification.json` are generated from):
//!
//! ```python
//! torchvision.ops.sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0, reduction="mean")
//! kornia.losses.focal_loss(x, t, alpha=None, gamma=2.0, weight=alpha, reduction="none").sum(1)
//! keras.losses.categorical_focal_crossentropy(one_hot, probs, alpha=0.25, gamma=2.0)
//! ```
//!
//! ## Binary cross-entropy
//!
//! Binary cross-entropy for imbalanced binary / multi-label targets: [`BceLoss`] with a
//! per-class `pos_weight` (PyTorch `binary_cross_entropy_with_logits(pos_weight=)`), and
//! [`BalancedBceLoss`], the class-balanced cross-entropy of HED (Xie & Tu, ICCV 2015,
//! "Holistically-Nested Edge Detection", <https://arxiv.org/abs/1504.06375>) that weights
//! positives by the fraction of negatives.
//!
//! Both share the binary log-likelihoods of the focal family (`log_sigmoid` for logits, Keras'
//! clipping for probabilities), its input checks, label smoothing and per-sample weights.
//!
//! ```python
//! F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="mean")   # bce
//! keras.losses.binary_crossentropy(y, p, label_smoothing=s)                    # bce, from_logits = false
//! ```
//!
//! ## Class-balanced loss
//!
//! Class-balanced loss (Cui, Jia, Lin, Song, Belongie, CVPR 2019, "Class-Balanced Loss Based on
//! Effective Number of Samples", <https://arxiv.org/abs/1901.05555>).
//!
//! Each class `c` with `n_c` training samples gets the weight `(1 − β) / (1 − β^{n_c})` (the
//! inverse of its "effective number" of samples), normalised so that the weights sum to `C`; a
//! sample of class `y` is weighted by `w_y` in one of four base losses. `β = 0` gives uniform
//! weights (the plain base loss), `β → 1` inverse class frequency.
//!
//! Anchors: the official TensorFlow implementation (`richardaecn/class-balanced-loss`,
//! `src/cifar_main.py`) for `"softmax"` and `"focal"`, and the widely copied PyTorch port
//! (`vandit15/Class-balanced-loss-pytorch`, also in the survey seed) for `"sigmoid"` (mean over
//! `N·C`; the official code divides by `N`, which is `"focal"` at `γ = 0`) and for its `"softmax"`
//! branch, our `"softmax_bce"`. The fixtures re-create both in `tools/golden/imbalance.py` and
//! were checked against the port's code.
//!
//! ```python
//!#### the PyTorch port, per base (weights = w[labels] broadcast over classes):
//! F.cross_entropy(x, y, reduction="none").mul(w[y]).mean()                          # softmax
//! F.binary_cross_entropy_with_logits(x, onehot, weight=w[y][:, None])               # sigmoid
//! (w[y][:, None] * modulator * F.binary_cross_entropy_with_logits(x, onehot, reduction="none")).sum() / onehot.sum()  # focal
//! F.binary_cross_entropy(x.softmax(1), onehot, weight=w[y][:, None])                 # softmax_bce
//! ```
//!
//! ## Gradient harmonizing (GHM)
//!
//! Gradient harmonizing mechanism (Li, Liu, Wang, AAAI 2019, "Gradient Harmonized Single-stage
//! Detector", <https://arxiv.org/abs/1811.05181>): each element's loss is weighted by the inverse
//! density of its gradient length `g`, so that the flood of easy examples (small `g`) and the few
//! outliers (large `g`) both count less.
//!
//! Both losses follow mmdetection's `GHMC` / `GHMR` (`mmdet/models/losses/ghm_loss.py`) exactly —
//! the fixtures re-create that code path in `tools/golden/imbalance.py`, checked against the
//! original:
//!
//! ```text
//! edges  = [0, 1/bins, 2/bins, …, 1] (f32); last edge + 1e-6 (GHMC) or 1e3 (GHMR)
//! bin i  = { valid elements with edges[i] ≤ g < edges[i+1] }, count_i = |bin i|
//! tot    = max(#valid, 1) (GHMC) or max(Σ mask, 1) (GHMR)
//! w      = tot / count_i for the elements of bin i (momentum m > 0: tot / acc_i with
//!          acc_i ← m·acc_i + (1 − m)·count_i, updated for non-empty bins only), 0 for invalid
//!          elements, then divided by the number of non-empty bins
//! loss   = Σ w·ℓ / (tot + ε) ("mean", ε = f32::EPSILON as mmdet 3.x's weight_reduce_loss);
//!          "sum": Σ w·ℓ (mmdet raises for "sum" with its avg_factor: our extension);
//!          "none": w·ℓ
//! ```
//!
//! The `mask` argument (mmdet's `label_weight`; also accepted under its older name `valid`) only
//! selects elements (`> 0`); its values never scale the loss (in GHM-R they enter `tot = Σ mask`,
//! as in mmdet).
//!
//! The weights are computed from detached values and the bin counts are read back to the host
//! (one device sync per call, as mmdet's `.item()` calls): they are constants for autodiff, and
//! the gradient is `w · dℓ`.
//!
//! The EMA accumulators (`momentum > 0`) live in the module ([`GhmState`]), shared by its clones —
//! so they carry over the steps of a burn `Learner` run (each step's module is a clone of the
//! last) — and are not a parameter (no gradient, not in the record). As in mmdet, every call
//! updates them, validation passes included. There is one accumulator per device (a device and
//! its autodiff form share one): under burn-train's data-parallel `MultiDevice` strategy each
//! device's worker updates its own EMA from its own batches, as each process of a PyTorch DDP run
//! keeps its own mmdet `acc_sum` buffer. (Workers that share one device, e.g. the CPU replicas
//! of `burn_losses::device::device_replicas`, share its accumulator.) In a
//! [device group](crate::DeviceGroup), while training, the bin counts are every worker's: the density,
//! and so every device's EMA, is the joined batch's; each device's mean still divides by its own
//! `tot`.
//!
//! ## Self-adjusting Dice (DSC)
//!
//! [`DscLoss`]: the self-adjusting Dice loss for imbalanced classification and tagging (Li et
//! al., ACL 2020, "Dice Loss for Data-imbalanced NLP Tasks", <https://arxiv.org/abs/1911.02855>).
//!
//! ```python
//!#### ShannonAI/dice_loss_for_NLP, loss/dice_loss.py
//! DiceLoss(smooth=1.0, square_denominator=True, with_logits=True, alpha=1.0, reduction="mean")(x, t)
//! ```
//!
//! ## Overlap losses
//!
//! Overlap (region) losses for segmentation: [`DiceLoss`] (with its Jaccard / IoU form),
//! [`GeneralizedDiceLoss`], [`TverskyLoss`], [`FocalTverskyLoss`] and [`LogCoshDiceLoss`].
//!
//! All five share one option vocabulary — MONAI's (`monai.losses.DiceLoss`) — and one code path:
//! the input becomes probabilities `p` (`activation`), the target becomes one-hot / soft `g`, both
//! are multiplied by the pixel mask (`mask` argument, `ignore_index`), channel 0 is dropped without
//! `include_background`, and the per-(sample, class) sums
//!
//! ```text
//! I = Σ p·g      P = Σ p      G = Σ g      (over the spatial positions; also over the batch with batch = true)
//! ```
//!
//! feed each loss's ratio (with `soft_label`, MONAI's soft-label sums `I = (Σ|p| + Σ|g| −
//! Σ|p − g|) / 2`, `P = Σ|p|`, `G = Σ|g|`; with `absent_classes: "zero"`, a class whose `G = 0`
//! has loss 0, as segmentation_models_pytorch's Dice / Jaccard / Tversky; with `"skip"`, each
//! sample's loss is the mean over the classes present in its target, and with `dice`'s
//! `average: "micro"` one ratio pools every class — kornia's `dice_loss(average="macro" /
//! "micro")` and `tversky_loss`, per sample, `"none"` `[N]`). Inputs:
//! `input [N, C, spatial…]` (or `[N, C]`), `target` class indices
//! `[N, spatial…]` or one-hot / soft probabilities of the shape of `input`, optional `mask`
//! `[N, spatial…]` or `[N, 1, spatial…]` (0 = the pixel is left out of every sum; a constant for
//! autodiff).
//!
//! ```python
//! monai.losses.DiceLoss(softmax=True, to_onehot_y=True, include_background=True, batch=False,
//!                       smooth_nr=1e-5, smooth_dr=1e-5, reduction="mean")(x, t[:, None])      # dice
//! monai.losses.GeneralizedDiceLoss(w_type="square", ...)                                      # generalized_dice
//! monai.losses.TverskyLoss(alpha=0.5, beta=0.5, ...)                                          # tversky
//! segmentation_models_pytorch.losses.TverskyLoss(gamma=γ)        # focal_tversky, exponent_after_mean = true
//! kornia.losses.dice_loss(x, t, average="micro")   # dice, activation softmax, smooth_nr 0, smooth_dr 1e-8, average micro
//! kornia.losses.tversky_loss(x, t, α, β)           # tversky, the same smoothing, absent_classes "skip"
//! ```
//!
//! **Empty classes.** A class absent from both prediction and target has `I = P = G = 0`: with
//! the default smoothing (`smooth_nr = smooth_dr = 1e-5`) its Dice loss is `1 − 1e-5/1e-5 = 0`
//! (MONAI). With `smooth_dr = 0` the ratio would be `0/0`; such a class — a denominator of at
//! most 1e-18, where the ratio's gradient `num/den²` would overflow f32 — scores loss 0 (a perfect
//! match: nothing to find, nothing predicted) with zero gradient, never NaN or infinity.
//!
//! ## Lovász
//!
//! [`LovaszLoss`]: the Lovász extension of the Jaccard loss (Berman, Rannen Triki & Blaschko,
//! CVPR 2018, "The Lovász-Softmax loss", <https://arxiv.org/abs/1705.08790>), multiclass
//! (Lovász-softmax) or binary (Lovász hinge).
//!
//! ```python
//! segmentation_models_pytorch.losses.LovaszLoss("multiclass", per_image=False, ignore_index=None)(x, t)  # mode "softmax"
//! segmentation_models_pytorch.losses.LovaszLoss("binary", per_image=False, ignore_index=None)(x, y)      # mode "hinge"
//! ```
//!
//! ## Metric-learning distances
//!
//! What the metric-learning losses share: the [`Distance`] between embeddings, the pairwise
//! distance matrix of a batch (one `[N, N]` matrix, safe square root), the positive / negative
//! pair masks of a batch's labels, the checks of `embeddings` + `labels` inputs, stable
//! soft-plus and masked log-sum-exp, and the reduction of losses over the pairs or triplets
//! formed inside a batch.
//!
//! ## Triplet losses
//!
//! Triplet losses: [`TripletMarginLoss`] on explicit (anchor, positive, negative) rows, and
//! [`TripletMinedLoss`] on a labelled batch whose triplets are mined online (batch-all,
//! batch-hard, semi-hard).
//!
//! ```python
//! torch.nn.TripletMarginLoss(margin=1.0, p=2, eps=1e-6, swap=False)(a, p, n)            # triplet_margin
//! pml.losses.TripletMarginLoss(margin=1.0, distance=LpDistance(normalize_embeddings=False),
//!                              reducer=MeanReducer())(embeddings, labels)               # triplet_mined, batch_all
//! tfa.losses.TripletSemiHardLoss(margin=1.0)(labels, embeddings)                         # triplet_mined, semi_hard
//! ```
//!
//! ## Contrastive, NT-Xent, SupCon
//!
//! Pair-based embedding losses: [`ContrastiveLoss`] (Hadsell et al. 2006) on pairs or on every
//! pair of a labelled batch, and the softmax-over-similarities losses [`NtXentLoss`] (SimCLR /
//! InfoNCE) and [`SupConLoss`] (supervised contrastive).
//!
//! ```python
//! tfa.losses.contrastive_loss(y_true, distance, margin=1.0)                  # contrastive on `distance`
//! pml.losses.ContrastiveLoss(pos_margin=0, neg_margin=1)(embeddings, labels)  # contrastive, squared=False, nonzero_mean, normalize_embeddings
//! pml.losses.NTXentLoss(temperature=0.07)(embeddings, labels)                # nt_xent
//! pml.losses.SupConLoss(temperature=0.1)(embeddings, labels)                 # supcon
//! ```
//!
//! ## ArcFace and CosFace
//!
//! Additive-margin softmax losses with a trainable class-weight matrix: [`ArcFaceLoss`]
//! (additive angular margin) and [`CosFaceLoss`] (additive cosine margin).
//!
//! ```python
//! pml.losses.ArcFaceLoss(num_classes, embedding_size, margin=28.6, scale=64)(embeddings, labels)
//! pml.losses.CosFaceLoss(num_classes, embedding_size, margin=0.35, scale=64)(embeddings, labels)
//! ```
//!
//! ## Regression losses
//!
//! Regression losses of `input` (the prediction ŷ) and `target` (y) of one shape, any rank:
//! MAE, MSE, RMSE, Huber, smooth L1, log-cosh, pinball (quantile), MAPE, sMAPE, MSLE, Poisson and
//! Gaussian negative log-likelihood.
//!
//! Every loss takes an optional per-sample `weight` `[N]` (broadcast over the other dimensions;
//! `"mean"` still divides by the element count, Keras' `sum_over_batch_size`), reduces with
//! `"mean"` (default: over all elements), `"sum"` or `"none"` (the input's shape), and documents
//! the subgradient it takes at a kink (matching PyTorch's where PyTorch has the loss).
//!
//! ```python
//! F.l1_loss(x, y); F.mse_loss(x, y)                           # mae, mse
//! F.huber_loss(x, y, delta=d); F.smooth_l1_loss(x, y, beta=b) # huber, smooth_l1
//! keras.losses.log_cosh(y, x)                                 # log_cosh
//! tfa.losses.pinball_loss(y, x, tau=t)                        # quantile
//! keras.losses.mean_absolute_percentage_error(y, x)           # mape
//! keras.losses.mean_squared_logarithmic_error(y, x)           # msle
//! keras.losses.poisson(y, x); F.poisson_nll_loss(x, y)        # poisson (log_input false / true)
//! F.gaussian_nll_loss(x, y, var, full=f, eps=e)               # gaussian_nll
//! ```
//!
//! ## Margin losses
//!
//! Margin losses: the label-margin family on scores `ŷ` and labels `y ∈ {−1, 1}` (hinge, squared
//! hinge, perceptron, exponential, logistic), the multiclass hinges (categorical hinge, PyTorch's
//! multi-margin), cosine similarity and the pair losses of PyTorch (cosine embedding, margin
//! ranking, hinge embedding).
//!
//! Subgradients at the kinks follow the anchor as it runs in PyTorch: the Keras hinges (`hinge`,
//! `squared_hinge`, `categorical_hinge`) and `perceptron` use `max(z, 0)` with `torch.maximum`'s
//! ½ at `z = 0`; `multi_margin` uses PyTorch's strict `z > 0` (0 at the tie); `margin_ranking`
//! and `hinge_embedding` PyTorch's `clamp_min` (the full gradient at the tie).
//!
//! ```python
//! keras.losses.hinge(y, x); keras.losses.squared_hinge(y, x); keras.losses.categorical_hinge(y, x)
//! F.multi_margin_loss(x, t, p=1, margin=1.0, weight=w)
//! keras.losses.cosine_similarity(y, x, axis=-1)
//! F.cosine_embedding_loss(x1, x2, y, margin=0.0); F.margin_ranking_loss(x1, x2, y, margin=0.0)
//! F.hinge_embedding_loss(x, y, margin=1.0)
//! ```
#![warn(missing_docs)]

pub mod docs;
mod error;
mod fused;
#[cfg(all(test, any(feature = "flex", feature = "ndarray")))]
mod fused_tests;
mod group;
mod loss;
mod losses;
mod reduction;
mod registry;
mod settings;
mod tensor;

pub use error::{ErrorKind, LossError, LossResult};
pub use fused::{fused_kernel_runs, fused_kernels_enabled, set_fused_kernels};
pub use group::{DeviceGroup, in_device_group};
pub use loss::{Argument, ArgumentKind, ClassificationLoss, InputKind, LossModule, TargetKind};
pub use losses::*;
pub use reduction::{ElementLoss, Reduction};
pub use registry::custom;
pub use registry::{
    Loss, LossConfig, RegularizerConfig, ScheduleKind, StepCounter, SumLoss, SumLossConfig, SumTerm,
    TermActivation, TermWeighting, WeightSchedule,
};
pub use settings::LossSettings;
pub use tensor::checks::{set_trusted_inputs, trusted_inputs};
pub use tensor::dynamic::{DynInput, DynKind, DynTensor, LossInputs, compute_dtype};

/// A [`LossConfig`] written as JSON, checked when it runs (panics with the parse message, naming
/// the field, on a bad config): the default of a loss field in a burn `#[derive(Config)]` training
/// config, where the attribute's string is Rust code —
///
/// ```
/// use burn::config::Config;
/// use burn_losses_core::{LossConfig, loss_json};
///
/// #[derive(Config, Debug)]
/// pub struct TrainingConfig {
///     #[config(default = r#"loss_json!({"type": "focal", "gamma": 2.0})"#)]
///     pub loss: LossConfig,
///     #[config(default = 10)]
///     pub num_epochs: usize,
/// }
///
/// let config = TrainingConfig::new();
/// assert_eq!(config.loss, LossConfig::parse(r#"{"type": "focal", "gamma": 2.0}"#).unwrap());
/// ```
#[macro_export]
macro_rules! loss_json {
    ($($json:tt)+) => {
        $crate::LossConfig::from_json_value($crate::__private::serde_json::json!($($json)+))
    };
}

/// Not public API: what the exported macros expand to.
#[doc(hidden)]
pub mod __private {
    pub use serde_json;
}

/// Everything a training program needs, without the 18 names that `burn::nn::loss` also exports
/// (`CrossEntropyLoss`, `HuberLoss`, `MseLoss`, `Reduction`, …): `use burn::nn::loss::*;` and
/// `use burn_losses::prelude::*;` together are not ambiguous. Those 18 stay at the crate root
/// (`burn_losses::CrossEntropyLossConfig`), and every loss is reachable by name through
/// [`LossConfig`].
pub mod prelude {
    pub use crate::loss_json;
    pub use crate::{
        AbsentClasses, ArcFaceLoss, ArcFaceLossConfig, BalancedBceLoss, BalancedBceLossConfig, BceLoss,
        BceLossConfig, BinaryFocalLoss, BinaryFocalLossConfig, CategoricalHingeLoss,
        CategoricalHingeLossConfig, CharbonnierLoss, CharbonnierLossConfig, ClassAverage, ClassBalancedLoss,
        ClassBalancedLossConfig, ContrastiveLoss, ContrastiveLossConfig, CosFaceLoss, CosFaceLossConfig,
        CosineSimilarityLoss, CosineSimilarityLossConfig, DiceLoss, DiceLossConfig, DscLoss, DscLossConfig,
        ExponentialLoss, ExponentialLossConfig, FocalLoss, FocalLossConfig, FocalTverskyLoss,
        FocalTverskyLossConfig, GaussianNllLoss, GaussianNllLossConfig, GeneralizedDiceLoss,
        GeneralizedDiceLossConfig, GhmCLoss, GhmCLossConfig, GhmRLoss, GhmRLossConfig, HingeLoss,
        HingeLossConfig, KlDivergenceLoss, KlDivergenceLossConfig, LogCoshDiceLoss, LogCoshDiceLossConfig,
        LogCoshLoss, LogCoshLossConfig, LogisticLoss, LogisticLossConfig, LovaszLoss, LovaszLossConfig,
        MaeLoss, MaeLossConfig, MapeLoss, MapeLossConfig, MseLossConfig, MsleLoss, MsleLossConfig, NllLoss,
        NllLossConfig, NtXentLoss, NtXentLossConfig, PerceptronLoss, PerceptronLossConfig, PoissonLoss,
        PoissonLossConfig, Poly1Loss, Poly1LossConfig, QuantileLoss, QuantileLossConfig, RmseLoss,
        RmseLossConfig, SmapeLoss, SmapeLossConfig, SquaredHingeLoss, SquaredHingeLossConfig, SupConLoss,
        SupConLossConfig, TripletMinedLoss, TripletMinedLossConfig, TverskyLoss, TverskyLossConfig,
    };
    pub use crate::{
        ClassificationLoss, DeviceGroup, DynInput, Loss, LossConfig, LossError, LossInputs, LossModule,
        LossResult, LossSettings, RegularizerConfig, ScheduleKind, SumLoss, SumLossConfig, SumTerm,
        TermActivation, TermWeighting, WeightSchedule,
    };
}
