//! Metric learning through burn's `Learner`.
//!
//! - [`LossEmbedder`]: a model mapping a batch to embeddings `[N, D]` plus the batch labels, and
//!   any batch loss of this crate (`triplet_mined`, `contrastive` over every pair, `nt_xent`,
//!   `supcon`, `arcface`, `cosface`). The loss is a sub-module: `arcface` / `cosface` class
//!   weights are trained by the optimizer with the model and saved in its record. Its
//!   [`EmbeddingOutput`] feeds burn's `LossMetric` and [`RecallAtOneMetric`].
//! - [`LossSiamese`]: a tower applied to both images of a pair, with a pair loss (`contrastive` on
//!   `input1`, `input2`, `target`); its [`PairOutput`] feeds `LossMetric` and
//!   [`PairAccuracyMetric`] (verification accuracy at the best distance threshold).
//! - [`PkDataset`]: P classes × K items per batch (batch-hard / semi-hard mining needs positives
//!   and negatives in every batch), deterministic under a seed.
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "triplet_mined", "mining": "batch_hard"}"#)?.try_init(&device)?;
//! let learner_model = LossEmbedder::new(model, loss); // model: impl Embedder
//! ```

use burn::data::dataset::Dataset;
use burn::module::Module;
use burn::tensor::{Int, Tensor};
use burn::train::metric::{
    Adaptor, ItemLazy, LossInput, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric,
    NumericAttributes, NumericEntry, SerializedEntry, format_float,
};
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use burn_losses_core::{Distance, LossInputs};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// A model that maps its input to embeddings `[N, D]`.
pub trait Embedder: Module + burn::module::ModuleDisplay {
    /// The batch input (e.g. images `Tensor<4>`).
    type Input: Send + 'static;
    /// Embeddings `[N, D]`.
    fn embed(&self, input: Self::Input) -> Tensor<2>;
}

/// One batch of a labelled embedding task: model input and integer labels `[N]`.
#[derive(Debug, Clone)]
pub struct EmbeddingBatch<I> {
    /// Model input.
    pub inputs: I,
    /// Labels `[N]` (class / identity indices).
    pub labels: Tensor<1, Int>,
}

/// What an embedding step returns: the loss, the embeddings and the labels.
#[derive(Debug, Clone)]
pub struct EmbeddingOutput {
    /// The scalar loss `[1]`.
    pub loss: Tensor<1>,
    /// Embeddings `[N, D]`.
    pub embeddings: Tensor<2>,
    /// Labels `[N]`.
    pub labels: Tensor<1, Int>,
}

impl ItemLazy for EmbeddingOutput {
    fn sync(self) -> Result<Self, burn::tensor::ExecutionError> {
        self.loss.device().flush()?;
        Ok(Self {
            loss: self.loss.without_autodiff(),
            embeddings: self.embeddings.without_autodiff(),
            labels: self.labels.without_autodiff(),
        })
    }
}

impl Adaptor<LossInput> for EmbeddingOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

/// Embeddings and labels, the input of [`RecallAtOneMetric`].
#[derive(Debug, Clone)]
pub struct EmbeddingInput {
    /// Embeddings `[N, D]`.
    pub embeddings: Tensor<2>,
    /// Labels `[N]`.
    pub labels: Tensor<1, Int>,
}

impl Adaptor<EmbeddingInput> for EmbeddingOutput {
    fn adapt(&self) -> EmbeddingInput {
        EmbeddingInput {
            embeddings: self.embeddings.clone(),
            labels: self.labels.clone(),
        }
    }
}

crate::loss_adapter! {
    /// An embedding model trained with a burn-losses batch [`Loss`](burn_losses_core::Loss): burn's [`TrainStep`] /
    /// [`InferenceStep`] with [`EmbeddingOutput`]. See [`Loss::embedding_loss`](burn_losses_core::Loss::embedding_loss).
    LossEmbedder<M: Embedder>, batch EmbeddingBatch, output EmbeddingOutput, step forward_embedding,
    loss "The loss (a sub-module: `arcface` / `cosface` class weights train with the model; moved to the model's device by `new`).",
    prepare crate::loss_on_device_of,
}

impl<M: Embedder, B> LossEmbedder<M, B> {
    /// Embeddings, loss and labels of one batch. Panics with the loss's message on bad input.
    pub fn forward_embedding(&self, batch: EmbeddingBatch<M::Input>) -> EmbeddingOutput {
        let embeddings = self.model.embed(batch.inputs);
        let loss = self
            .settings
            .scope(|| self.loss.embedding_loss(embeddings.clone(), batch.labels.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let loss = crate::regularized(loss, &self.loss, &self.model);
        EmbeddingOutput {
            loss,
            embeddings,
            labels: batch.labels,
        }
    }
}

/// Fraction of rows whose nearest other row (by `distance`) has the same label: recall@1 of a
/// retrieval where every embedding queries all the others. Computed on the embeddings' device in
/// blocks of 1024 queries (memory `1024 × N`).
pub fn recall_at_1(embeddings: Tensor<2>, labels: Tensor<1, Int>, distance: Distance) -> f64 {
    let [n, _] = embeddings.dims();
    if n < 2 {
        return f64::NAN;
    }
    let e = match distance {
        Distance::Cosine => {
            let norm = embeddings
                .clone()
                .powi_scalar(2)
                .sum_dim(1)
                .sqrt()
                .clamp_min(1e-12);
            embeddings / norm
        }
        Distance::Euclidean | Distance::SquaredEuclidean => embeddings,
    };
    let device = e.device();
    let squared_norms = e.clone().powi_scalar(2).sum_dim(1).reshape([1, n]);
    let mut hits = 0i64;
    for start in (0..n).step_by(1024) {
        let end = (start + 1024).min(n);
        let queries = e.clone().narrow(0, start, end - start);
        // ‖q‖² is the same along a row: it does not change the argmin
        let scores = squared_norms.clone() - queries.matmul(e.clone().transpose()) * 2.0;
        let rows = Tensor::<1, Int>::arange(start as i64..end as i64, &device).reshape([end - start, 1]);
        let cols = Tensor::<1, Int>::arange(0..n as i64, &device).reshape([1, n]);
        // +inf (representable in every float dtype; f64::MAX overflows an f32 tensor on tch)
        let scores = scores.mask_fill(rows.equal(cols), f64::INFINITY);
        let nearest = scores.argmin(1).reshape([end - start]);
        let found = labels.clone().select(0, nearest);
        let same = found.equal(labels.clone().narrow(0, start, end - start));
        hits += same.int().sum().into_data().iter::<i64>().next().unwrap_or(0);
    }
    hits as f64 / n as f64
}

/// Recall@1 (%) of the epoch's embeddings (burn `Metric`, input [`EmbeddingInput`]): each
/// embedding's nearest neighbour among all the others of the epoch has its label. The running
/// value during the epoch is the mean of per-batch recall@1 (neighbours within the batch); the
/// epoch's final value is over every embedding of the epoch (e.g. the whole validation set).
#[derive(Debug, Clone)]
pub struct RecallAtOneMetric {
    name: MetricName,
    distance: Distance,
    embeddings: Vec<Tensor<2>>,
    labels: Vec<Tensor<1, Int>>,
    batch_sum: f64,
    batches: usize,
    last: f64,
}

impl Default for RecallAtOneMetric {
    fn default() -> Self {
        Self::new()
    }
}

impl RecallAtOneMetric {
    /// Nearest neighbours by Euclidean distance.
    pub fn new() -> Self {
        Self {
            name: MetricName::new("Recall@1".to_string()),
            distance: Distance::Euclidean,
            embeddings: Vec::new(),
            labels: Vec::new(),
            batch_sum: 0.0,
            batches: 0,
            last: f64::NAN,
        }
    }

    /// Nearest neighbours by `distance` (`Cosine` for `arcface` / `cosface` / `nt_xent`
    /// embeddings).
    pub fn with_distance(mut self, distance: Distance) -> Self {
        self.distance = distance;
        self
    }

    fn epoch_value(&self) -> f64 {
        if self.embeddings.is_empty() {
            return f64::NAN;
        }
        let e = Tensor::cat(self.embeddings.clone(), 0);
        let l = Tensor::cat(self.labels.clone(), 0);
        100.0 * recall_at_1(e, l, self.distance)
    }
}

impl Metric for RecallAtOneMetric {
    type Input = EmbeddingInput;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn update(
        &mut self,
        input: &EmbeddingInput,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, burn::tensor::TensorReadError> {
        let batch = 100.0 * recall_at_1(input.embeddings.clone(), input.labels.clone(), self.distance);
        self.embeddings.push(input.embeddings.clone());
        self.labels.push(input.labels.clone());
        if batch.is_finite() {
            self.batch_sum += batch;
            self.batches += 1;
        }
        self.last = batch;
        let running = self.batch_sum / self.batches.max(1) as f64;
        Ok(SerializedEntry::new(
            format!(
                "batch-mean {} % - batch {} %",
                format_float(running, 2),
                format_float(batch, 2)
            ),
            NumericEntry::Aggregated {
                aggregated_value: batch,
                count: input.labels.dims()[0],
            }
            .serialize(),
        ))
    }

    fn compute(&mut self) -> Result<SerializedEntry, burn::tensor::TensorReadError> {
        let value = self.epoch_value();
        Ok(SerializedEntry::new(
            format!("epoch {} %", format_float(value, 2)),
            NumericEntry::Final(value).serialize(),
        ))
    }

    fn clear(&mut self) {
        *self = Self::new().with_distance(self.distance);
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: Some("%".to_string()),
            higher_is_better: true,
        }
        .into()
    }
}

impl Numeric for RecallAtOneMetric {
    fn value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Aggregated {
            aggregated_value: self.last,
            count: 1,
        })
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Aggregated {
            aggregated_value: self.batch_sum / self.batches.max(1) as f64,
            count: self.batches,
        })
    }

    fn final_value(&self) -> NumericEntry {
        NumericEntry::Final(self.epoch_value())
    }
}

/// One batch of image pairs: both inputs and the similarity target `[N]` (1 = same class).
#[derive(Debug, Clone)]
pub struct PairBatch<I> {
    /// First item of each pair.
    pub first: I,
    /// Second item of each pair.
    pub second: I,
    /// 1 for a similar pair, 0 for a dissimilar one, `[N]`.
    pub target: Tensor<1>,
}

/// What a Siamese step returns: the loss, the embedding distance of each pair and the targets.
#[derive(Debug, Clone)]
pub struct PairOutput {
    /// The scalar loss `[1]`.
    pub loss: Tensor<1>,
    /// Euclidean distance between the two embeddings of each pair, `[N]`.
    pub distance: Tensor<1>,
    /// Similarity targets `[N]`.
    pub target: Tensor<1>,
}

impl ItemLazy for PairOutput {
    fn sync(self) -> Result<Self, burn::tensor::ExecutionError> {
        self.loss.device().flush()?;
        Ok(Self {
            loss: self.loss.without_autodiff(),
            distance: self.distance.without_autodiff(),
            target: self.target.without_autodiff(),
        })
    }
}

impl Adaptor<LossInput> for PairOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

/// Pair distances and targets, the input of [`PairAccuracyMetric`].
#[derive(Debug, Clone)]
pub struct PairInput {
    /// Distances `[N]`.
    pub distance: Tensor<1>,
    /// Targets `[N]` (1 = similar).
    pub target: Tensor<1>,
}

impl Adaptor<PairInput> for PairOutput {
    fn adapt(&self) -> PairInput {
        PairInput {
            distance: self.distance.clone(),
            target: self.target.clone(),
        }
    }
}

crate::loss_adapter! {
    /// A Siamese network: one tower `M` embeds both items of a pair; the loss gets `input1`,
    /// `input2` (the two embeddings) and `target` (`contrastive`, or any loss taking those
    /// arguments).
    LossSiamese<M: Embedder>, batch PairBatch, output PairOutput, step forward_pairs,
    loss "The pair loss (a sub-module, moved to the model's device by `new`).", prepare crate::loss_on_device_of,
}

impl<M: Embedder, B> LossSiamese<M, B> {
    /// Loss, distances and targets of one batch of pairs. Panics with the loss's message on bad
    /// input.
    pub fn forward_pairs(&self, batch: PairBatch<M::Input>) -> PairOutput {
        let first = self.model.embed(batch.first);
        let second = self.model.embed(batch.second);
        let [n, _] = first.dims();
        let distance = (first.clone() - second.clone())
            .powi_scalar(2)
            .sum_dim(1)
            .sqrt()
            .reshape([n])
            .detach();
        let inputs = LossInputs::new()
            .with_float("input1", first)
            .with_float("input2", second)
            .with_float("target", batch.target.clone());
        let loss = crate::step_loss(&self.settings, &self.loss, &self.model, &inputs);
        PairOutput {
            loss,
            distance,
            target: batch.target,
        }
    }
}

/// Verification accuracy at the best threshold: the largest fraction of pairs classified right
/// by "similar iff distance <= t" over all thresholds t; returns `(t, accuracy)` (`t` midway
/// between the two distances it separates). Targets >= 0.5 count as similar.
pub fn best_threshold_accuracy(distances: &[f64], targets: &[f64]) -> (f64, f64) {
    let n = distances.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
    let similar = |i: usize| targets[i] >= 0.5;
    // threshold below every distance: everything "dissimilar"
    let mut right = (0..n).filter(|&i| !similar(i)).count();
    let mut best = (distances[order[0]] - 1.0, right);
    for (rank, &i) in order.iter().enumerate() {
        right = if similar(i) { right + 1 } else { right - 1 };
        let next = order.get(rank + 1).map(|&j| distances[j]);
        if next == Some(distances[i]) {
            continue; // ties: the threshold cannot split them
        }
        if right > best.1 {
            best = (
                next.map_or(distances[i] + 1.0, |d| 0.5 * (distances[i] + d)),
                right,
            );
        }
    }
    (best.0, best.1 as f64 / n as f64)
}

/// Pair-verification accuracy (%) at the best distance threshold over the epoch's pairs (burn
/// `Metric`, input [`PairInput`]); the running value is the accuracy over the pairs seen so far.
#[derive(Debug, Clone)]
pub struct PairAccuracyMetric {
    name: MetricName,
    distances: Vec<f64>,
    targets: Vec<f64>,
}

impl Default for PairAccuracyMetric {
    fn default() -> Self {
        Self::new()
    }
}

impl PairAccuracyMetric {
    /// An empty metric.
    pub fn new() -> Self {
        Self {
            name: MetricName::new("Pair Accuracy".to_string()),
            distances: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// `(threshold, accuracy in %)` over the pairs seen this epoch.
    pub fn threshold_and_accuracy(&self) -> (f64, f64) {
        let (t, a) = best_threshold_accuracy(&self.distances, &self.targets);
        (t, 100.0 * a)
    }
}

impl Metric for PairAccuracyMetric {
    type Input = PairInput;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn update(
        &mut self,
        input: &PairInput,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, burn::tensor::TensorReadError> {
        self.distances
            .extend(input.distance.clone().into_data().iter::<f64>());
        self.targets
            .extend(input.target.clone().into_data().iter::<f64>());
        let (t, accuracy) = self.threshold_and_accuracy();
        Ok(SerializedEntry::new(
            format!(
                "{} % at distance {}",
                format_float(accuracy, 2),
                format_float(t, 3)
            ),
            NumericEntry::Aggregated {
                aggregated_value: accuracy,
                count: input.target.dims()[0],
            }
            .serialize(),
        ))
    }

    fn compute(&mut self) -> Result<SerializedEntry, burn::tensor::TensorReadError> {
        let (t, accuracy) = self.threshold_and_accuracy();
        Ok(SerializedEntry::new(
            format!(
                "{} % at distance {}",
                format_float(accuracy, 2),
                format_float(t, 3)
            ),
            NumericEntry::Final(accuracy).serialize(),
        ))
    }

    fn clear(&mut self) {
        *self = Self::new();
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: Some("%".to_string()),
            higher_is_better: true,
        }
        .into()
    }
}

impl Numeric for PairAccuracyMetric {
    fn value(&self) -> Option<NumericEntry> {
        self.running_value()
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Aggregated {
            aggregated_value: self.threshold_and_accuracy().1,
            count: self.targets.len(),
        })
    }

    fn final_value(&self) -> NumericEntry {
        NumericEntry::Final(self.threshold_and_accuracy().1)
    }
}

/// Item indices grouped into batches of `p` classes × `k` items (Hermans et al. 2017's P×K
/// batches), deterministic in `seed`: each class's items are shuffled and cut into groups of
/// `k` (a last incomplete group is dropped); batches take one group from each of `p` distinct
/// classes drawn at random among those with groups left, until fewer than `p` classes have one.
pub fn pk_batches(labels: &[usize], p: usize, k: usize, seed: u64) -> Vec<Vec<usize>> {
    assert!(
        p >= 1 && k >= 1,
        "pk_batches: p and k must be >= 1 (got p = {p}, k = {k})"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups: Vec<Vec<Vec<usize>>> = vec![Vec::new(); classes];
    for (class, slot) in groups.iter_mut().enumerate() {
        let mut items: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        items.shuffle(&mut rng);
        *slot = items.chunks_exact(k).map(<[usize]>::to_vec).collect();
    }
    let mut batches = Vec::new();
    loop {
        let mut available: Vec<usize> = (0..classes).filter(|&c| !groups[c].is_empty()).collect();
        if available.len() < p {
            break;
        }
        available.shuffle(&mut rng);
        let batch: Vec<usize> = available[..p]
            .iter()
            .flat_map(|&c| groups[c].pop().expect("non-empty"))
            .collect();
        batches.push(batch);
    }
    batches
}

/// A burn [`Dataset`] whose consecutive runs of `p·k` items are P×K batches ([`pk_batches`]):
/// load it with a `DataLoader` of batch size `p·k`, without shuffling and with one worker (a
/// shuffle or several workers would mix the groups). The grouping is fixed by the seed; call
/// [`resample`](Self::resample) to draw another.
pub struct PkDataset<D> {
    dataset: D,
    labels: Vec<usize>,
    p: usize,
    k: usize,
    order: Vec<usize>,
}

impl<D> PkDataset<D> {
    /// Groups `dataset` (whose item `i` has label `labels[i]`) into P×K batches.
    pub fn new(dataset: D, labels: Vec<usize>, p: usize, k: usize, seed: u64) -> Self {
        let mut out = Self {
            dataset,
            labels,
            p,
            k,
            order: Vec::new(),
        };
        out.resample(seed);
        out
    }

    /// Draws the grouping of `seed`.
    pub fn resample(&mut self, seed: u64) {
        self.order = pk_batches(&self.labels, self.p, self.k, seed)
            .into_iter()
            .flatten()
            .collect();
    }

    /// The batch size to load it with, `p·k`.
    pub fn batch_size(&self) -> usize {
        self.p * self.k
    }
}

impl<D, I, E> Dataset<I, E> for PkDataset<D>
where
    D: Dataset<I, E>,
    E: std::error::Error + Send + Sync + 'static,
{
    fn get(&self, index: usize) -> Result<I, E> {
        let item = *self.order.get(index).unwrap_or_else(|| {
            panic!(
                "PkDataset: index {index} out of bounds (len {})",
                self.order.len()
            )
        });
        self.dataset.get(item)
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}
