//! Batch statistics across the devices of a data-parallel step: [`DeviceGroup`].

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use burn::tensor::{Int, Tensor, TensorData};

use crate::error::{LossError, LossResult};

/// The workers of a data-parallel training step whose batches a loss treats as one batch.
///
/// Under burn-train's `MultiDevice` (and `DistributedDataParallel`) strategies every device runs
/// the loss on its own batch in its own worker thread, so a loss whose value depends on the whole
/// batch is computed per device by default (see [Multi-device training](crate#multi-device-training)).
/// Run the loss inside [`in_device_group`] with a [`DeviceGroup`] of the workers (burn-losses-train's
/// adapters do it for you: `with_device_group`) and, while training, it uses the statistics of the
/// joined batch instead: each worker hands its part to the group, waits for the others and
/// continues with the total — the batch one device would see if it got every worker's batch.
///
/// | loss | what is joined | the device's loss |
/// |---|---|---|
/// | `balanced_bce` (`beta: null`) | β, the fraction of negatives, over every worker's targets | its own elements' mean, with the joined β |
/// | `ghm_c`, `ghm_r` | the bin counts (the gradient density; and so the EMA, identical on every device) | its own elements' harmonized sum over its own `tot` |
/// | overlap losses with `batch: true` | the sums `I, P, G` of every class | the joined batch's loss |
/// | `triplet_mined`, `contrastive` (labelled batch), `nt_xent`, `supcon` | the embeddings and labels: pairs, triplets and negatives span every worker's batch | the joined batch's loss (`"none"`: its own anchors' rows) |
///
/// Gradients flow into each worker's own inputs only (the other workers' parts are constants),
/// and have the scale of a per-sample loss under the same strategy: a device's gradient is `D`
/// times the joined-batch loss's gradient with respect to its own inputs (`D` workers), so the
/// sum over the devices (burn-train's `MultiDevice` adds them) is `D` times the joined-batch
/// gradient — as for a mean loss computed per device — and their mean (DDP) is the joined-batch
/// gradient: pytorch-metric-learning's `DistributedLossWrapper` (which returns `loss · world_size`
/// for the same reason). The value each device reports is the joined batch's (not `D` times it).
///
/// The exchange goes through host memory (one read-back per call, like the value checks), so it
/// works on every backend and between devices of different backends. It only happens while
/// training — when the loss's input takes part in autodiff; validation and inference (often on
/// one device only) stay per device. Every worker must call the loss the same number of times
/// per step: with burn-train's `MultiDevice`, size the training set so that every device gets
/// the same number of batches (the last, short step of an epoch otherwise has fewer workers).
/// A worker that waits longer than the group's timeout (default 60 s) gets an error naming the
/// loss and how many workers arrived, instead of waiting forever. Lovász with
/// `per_image: false` and DSC are not joined (per device).
///
/// burn 0.22's own collective (`burn::tensor::distributed::all_reduce`) exists only on CUDA with
/// NCCL and only reduces; the group here needs neither.
///
/// Clones share the group; give one clone to each worker's loss (a
/// loss module cloned or forked to the devices carries it along).
#[derive(Clone)]
pub struct DeviceGroup {
    inner: Arc<Rendezvous>,
}

impl std::fmt::Debug for DeviceGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceGroup")
            .field("workers", &self.inner.workers)
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

struct Rendezvous {
    workers: usize,
    timeout: Duration,
    round: Mutex<Round>,
    changed: Condvar,
}

/// What a worker gets from an exchange.
pub(crate) struct Exchanged {
    /// Every worker's part, in the order the workers arrived.
    pub parts: Arc<Vec<Vec<f64>>>,
    /// The index of this worker's part.
    pub own: usize,
    /// The number of the exchange (the same for every worker of one exchange, different from
    /// every other exchange of the group).
    pub number: u64,
}

/// One exchange: the parts handed in so far, then (all in) the result the workers take.
#[derive(Default)]
struct Round {
    /// Counts the exchanges; a worker waits for the result of its own.
    generation: u64,
    parts: Vec<Vec<f64>>,
    result: Option<Arc<Vec<Vec<f64>>>>,
    taken: usize,
}

impl DeviceGroup {
    /// A group of `workers` ≥ 1 workers (one per device of the data-parallel step), with a
    /// 60 s timeout.
    ///
    /// # Panics
    /// With `workers = 0`.
    pub fn new(workers: usize) -> Self {
        Self::with_timeout(workers, Duration::from_secs(60))
    }

    /// A group of `workers` ≥ 1 workers whose members wait at most `timeout` for the others.
    ///
    /// # Panics
    /// With `workers = 0`.
    pub fn with_timeout(workers: usize, timeout: Duration) -> Self {
        assert!(workers >= 1, "a device group needs at least one worker");
        Self {
            inner: Arc::new(Rendezvous {
                workers,
                timeout,
                round: Mutex::new(Round::default()),
                changed: Condvar::new(),
            }),
        }
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.inner.workers
    }

    /// Hands `part` in, waits for every worker's, and returns them all ([`Exchanged`]).
    pub(crate) fn exchange(&self, loss: &'static str, part: Vec<f64>) -> LossResult<Exchanged> {
        let inner = &*self.inner;
        let mut round = inner
            .round
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // a finished exchange that some workers have not taken yet: wait for it to clear
        while round.result.is_some() {
            round = inner.changed.wait(round).unwrap_or_else(|p| p.into_inner());
        }
        let generation = round.generation;
        let index = round.parts.len();
        round.parts.push(part);
        if round.parts.len() == inner.workers {
            round.result = Some(Arc::new(std::mem::take(&mut round.parts)));
            inner.changed.notify_all();
        } else {
            let (waited, timeout) = inner
                .changed
                .wait_timeout_while(round, inner.timeout, |r| {
                    r.generation == generation && r.result.is_none()
                })
                .unwrap_or_else(|p| p.into_inner());
            round = waited;
            if timeout.timed_out() && round.generation == generation && round.result.is_none() {
                let arrived = round.parts.len();
                // give up this exchange for everyone still waiting in it
                round.parts.clear();
                round.generation += 1;
                inner.changed.notify_all();
                return Err(LossError::input(
                    loss,
                    "device group",
                    format!(
                        "all {} workers to compute the loss within {:?} (every worker must call it the same number of \
                         times per step; give every device the same number of batches)",
                        inner.workers, inner.timeout
                    ),
                    format!("{arrived} arrived"),
                ));
            }
            if round.generation != generation {
                return Err(LossError::input(
                    loss,
                    "device group",
                    format!("all {} workers to compute the loss", inner.workers),
                    "another worker timed out waiting in the same exchange",
                ));
            }
        }
        let result = round.result.clone().expect("a finished exchange");
        round.taken += 1;
        if round.taken == inner.workers {
            round.result = None;
            round.taken = 0;
            round.generation += 1;
            inner.changed.notify_all();
        }
        Ok(Exchanged {
            parts: result,
            own: index,
            number: generation,
        })
    }

    /// Every worker's `values` summed element by element (every worker hands in as many).
    pub(crate) fn sum(&self, loss: &'static str, values: Vec<f64>) -> LossResult<Vec<f64>> {
        Ok(self.numbered_sum(loss, values)?.0)
    }

    /// [`sum`](Self::sum) and the number of the exchange (see [`exchange`](Self::exchange)).
    pub(crate) fn numbered_sum(&self, loss: &'static str, values: Vec<f64>) -> LossResult<(Vec<f64>, u64)> {
        let Exchanged { parts, number, .. } = self.exchange(loss, values)?;
        let mut total = vec![0.0; parts[0].len()];
        for part in parts.iter() {
            if part.len() != total.len() {
                return Err(LossError::input(
                    loss,
                    "device group",
                    format!("{} statistics from every worker", total.len()),
                    format!(
                        "{} from one (the workers run different losses or class counts)",
                        part.len()
                    ),
                ));
            }
            total.iter_mut().zip(part).for_each(|(t, v)| *t += v);
        }
        Ok((total, number))
    }
}

thread_local! {
    static CURRENT: std::cell::RefCell<Option<DeviceGroup>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `group` as the device group of the losses it computes on this thread (`None`:
/// per device), restoring the previous group afterwards, also when `f` panics. Call it where the
/// worker computes the loss (inside the model's train step).
pub fn in_device_group<R>(group: Option<&DeviceGroup>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<DeviceGroup>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|current| *current.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(CURRENT.with(|current| current.replace(group.cloned())));
    f()
}

/// The group of this thread ([`in_device_group`]), if any.
pub(crate) fn current_device_group() -> Option<DeviceGroup> {
    CURRENT.with(|current| current.borrow().clone())
}

/// The group of this thread ([`in_device_group`]) when `input` takes part in autodiff (the
/// statistics are joined only while training).
pub(crate) fn training_group<const D: usize>(input: &Tensor<D>) -> Option<DeviceGroup> {
    if !input.is_tracked() {
        return None;
    }
    current_device_group()
}

/// Each of `parts` with the joined value: `part + (joined − part)`, the difference a constant,
/// so that the value is the joined batch's and the gradient flows into this worker's own part
/// ([`replicated`]: scaled by the number of workers). One exchange for all of them.
pub(crate) fn joined<const D: usize>(
    loss: &'static str,
    group: &DeviceGroup,
    parts: Vec<Tensor<D>>,
) -> LossResult<Vec<Tensor<D>>> {
    let values: Vec<Vec<f64>> = parts
        .iter()
        .map(|t| t.clone().into_data().iter::<f64>().collect())
        .collect();
    let total = group.sum(loss, values.concat())?;
    let mut offset = 0;
    Ok(parts
        .into_iter()
        .zip(values)
        .map(|(part, own)| {
            let others: Vec<f64> = own
                .iter()
                .zip(&total[offset..offset + own.len()])
                .map(|(v, t)| t - v)
                .collect();
            offset += own.len();
            let others = Tensor::<D>::from_data(
                TensorData::new(others, part.shape()),
                (&part.device(), part.dtype()),
            );
            replicated(group, part) + others
        })
        .collect())
}

/// A value of the joined batch as this worker's: the same value, the gradient scaled by the
/// number of workers (`D·x − (D − 1)·x` with the second term a constant; see the module docs).
pub(crate) fn replicated<const D: usize>(group: &DeviceGroup, loss: Tensor<D>) -> Tensor<D> {
    let workers = group.workers() as f64;
    if workers == 1.0 {
        return loss;
    }
    loss.clone() * workers - loss.detach() * (workers - 1.0)
}

/// The joined batch of embeddings `[N, D]` and labels `[N]`: every worker's rows (this worker's
/// live and [`replicated`], the others' constants) in the order the workers arrived, and the
/// range of this worker's rows.
pub(crate) fn gathered_rows(
    loss: &'static str,
    group: &DeviceGroup,
    embeddings: Tensor<2>,
    labels: Tensor<1, Int>,
) -> LossResult<(Tensor<2>, Tensor<1, Int>, std::ops::Range<usize>)> {
    let [n, d] = embeddings.dims();
    let mut part: Vec<f64> = vec![n as f64, d as f64];
    part.extend(embeddings.clone().into_data().iter::<f64>());
    part.extend(labels.clone().into_data().iter::<i64>().map(|l| l as f64));
    let Exchanged { parts, own, .. } = group.exchange(loss, part)?;
    let (device, dtype) = (embeddings.device(), embeddings.dtype());
    let (mut rows, mut all_labels, mut start) = (Vec::new(), Vec::new(), 0);
    for (i, part) in parts.iter().enumerate() {
        let (rows_i, d_i) = (part[0] as usize, part[1] as usize);
        if d_i != d {
            return Err(LossError::input(
                loss,
                "embeddings",
                format!("embeddings of dimension {d} on every worker of the device group"),
                format!("dimension {d_i} on another worker"),
            ));
        }
        if i == own {
            start = all_labels.len();
            rows.push(replicated(group, embeddings.clone()));
        } else {
            let values = part[2..2 + rows_i * d].to_vec();
            rows.push(Tensor::<2>::from_data(
                TensorData::new(values, [rows_i, d]),
                (&device, dtype),
            ));
        }
        all_labels.extend(part[2 + rows_i * d..].iter().map(|&l| l as i64));
    }
    let total = all_labels.len();
    let labels = Tensor::<1, Int>::from_data(TensorData::new(all_labels, [total]), (&device, labels.dtype()));
    Ok((Tensor::cat(rows, 0), labels, start..start + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_get_the_sum_of_every_part_round_after_round() {
        let group = DeviceGroup::new(3);
        let handles: Vec<_> = (0..3)
            .map(|w| {
                let group = group.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|round| group.sum("test", vec![w as f64, round as f64]).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (round, total) in handle.join().unwrap().into_iter().enumerate() {
                assert_eq!(total, vec![3.0, 3.0 * round as f64]);
            }
        }
    }

    #[test]
    fn exchange_gives_each_worker_its_own_index() {
        let group = DeviceGroup::new(2);
        let other = {
            let group = group.clone();
            std::thread::spawn(move || group.exchange("test", vec![7.0]).unwrap())
        };
        let Exchanged {
            parts,
            own: index,
            number,
        } = group.exchange("test", vec![5.0]).unwrap();
        let Exchanged {
            parts: other_parts,
            own: other_index,
            number: other_number,
        } = other.join().unwrap();
        assert_eq!(parts, other_parts);
        assert_eq!(number, other_number);
        assert_ne!(index, other_index);
        assert_eq!(parts[index], vec![5.0]);
        assert_eq!(parts[other_index], vec![7.0]);
    }

    #[test]
    fn a_missing_worker_is_an_error_not_a_hang() {
        let group = DeviceGroup::with_timeout(2, Duration::from_millis(50));
        let err = group.sum("balanced_bce", vec![1.0]).unwrap_err().to_string();
        assert!(err.contains("balanced_bce") && err.contains("1 arrived"), "{err}");
        // the group is usable again afterwards
        let other = {
            let group = group.clone();
            std::thread::spawn(move || group.sum("test", vec![1.0]).unwrap())
        };
        assert_eq!(group.sum("test", vec![2.0]).unwrap(), vec![3.0]);
        assert_eq!(other.join().unwrap(), vec![3.0]);
    }

    #[test]
    fn one_worker_is_its_own_total() {
        assert_eq!(
            DeviceGroup::new(1).sum("test", vec![1.5, 2.0]).unwrap(),
            vec![1.5, 2.0]
        );
    }
}
