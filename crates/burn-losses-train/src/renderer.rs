//! A quiet metrics renderer for burn's Learner: one line per epoch and split with the
//! epoch's aggregated metrics (e.g. `epoch 1/3 train  Loss 0.0412  Accuracy 96.81`), instead of
//! the CLI renderer's line per batch or the TUI. With feature `progress`, on a terminal it also shows an `indicatif`
//! progress bar per split (items done, throughput, time left, the running metrics), cleared when
//! the split's line is printed; piped to a file or CI log, only the lines. Used by the examples;
//! usable in any training.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation, MetricsRendererTraining,
};

/// One epoch's aggregated metrics for one split.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// `"train"` or `"valid"` (burn's split names).
    pub split: String,
    /// Metric name → aggregated value at the end of the split.
    pub values: Vec<(String, f64)>,
}

/// Prints one line per epoch and split, and keeps them in [`history`](Self::history); with a
/// progress bar while a split runs when stdout is a terminal (see [`with_progress`](Self::with_progress)).
pub struct EpochLogRenderer {
    names: HashMap<MetricId, String>,
    order: Vec<MetricId>,
    current: HashMap<MetricId, f64>,
    epoch: usize,
    total_epochs: usize,
    split: String,
    history: Arc<Mutex<Vec<EpochMetrics>>>,
    show_progress: bool,
    bar: Option<Bar>,
}

/// The progress bar of a running split (feature `progress`; without it, none is drawn).
#[cfg(feature = "progress")]
type Bar = indicatif::ProgressBar;
#[cfg(not(feature = "progress"))]
struct Bar;

#[cfg(not(feature = "progress"))]
impl Bar {
    fn set_position(&self, _position: u64) {}
    fn set_message(&self, _message: String) {}
    fn finish_and_clear(&self) {}
}

impl Default for EpochLogRenderer {
    fn default() -> Self {
        Self {
            names: HashMap::new(),
            order: Vec::new(),
            current: HashMap::new(),
            epoch: 0,
            total_epochs: 0,
            split: String::new(),
            history: Arc::default(),
            show_progress: std::io::stdout().is_terminal(),
            bar: None,
        }
    }
}

impl EpochLogRenderer {
    /// A new renderer: progress bars when stdout is a terminal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forces the progress bars on or off (default: on when stdout is a terminal).
    pub fn with_progress(mut self, show: bool) -> Self {
        self.show_progress = show;
        self
    }

    /// Whether progress bars are shown.
    pub fn shows_progress(&self) -> bool {
        self.show_progress
    }

    /// `Loss 0.0412  Accuracy 96.81` of the metrics recorded so far in this split.
    fn metrics_line(&self) -> (Vec<(String, f64)>, String) {
        let values: Vec<(String, f64)> = self
            .order
            .iter()
            .filter_map(|id| self.current.get(id).map(|v| (self.names[id].clone(), *v)))
            .collect();
        let line: Vec<String> = values.iter().map(|(n, v)| format!("{n} {v:.4}")).collect();
        (values, line.join("  "))
    }

    /// The per-epoch lines recorded so far (shared: read it after training).
    pub fn history(&self) -> Arc<Mutex<Vec<EpochMetrics>>> {
        self.history.clone()
    }

    fn record(&mut self, state: MetricState) {
        if let MetricState::Numeric(entry, Some(value)) = state {
            self.current.insert(entry.metric_id, value.current());
            if let Some(bar) = &self.bar {
                bar.set_message(self.metrics_line().1);
            }
        }
    }
}

impl MetricsRendererTraining for EpochLogRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.record(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.record(state);
    }
}

impl MetricsRendererEvaluation for EpochLogRenderer {
    fn update_test(&mut self, _name: EvaluationName, state: MetricState) {
        self.record(state);
    }
}

impl TrainingProgressLogger for EpochLogRenderer {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _items: Option<usize>,
        _label: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.epoch = starting_epoch.saturating_sub(1);
    }

    fn update_epoch(&mut self, _epoch: usize) {}

    fn start_split(&mut self, split: &str, total_items: usize) {
        // Each epoch starts with its training split.
        if split == "train" {
            self.epoch += 1;
        }
        self.split = split.to_string();
        self.current.clear();
        #[cfg(feature = "progress")]
        if self.show_progress {
            let bar = indicatif::ProgressBar::new(total_items as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {per_sec} eta {eta}  {msg}",
                )
                .expect("a valid progress template")
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("epoch {}/{} {:<5}", self.epoch, self.total_epochs, split));
            self.bar = Some(bar);
        }
        #[cfg(not(feature = "progress"))]
        let _ = total_items;
    }

    fn update_split(&mut self, items_processed: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(items_processed as u64);
        }
    }

    fn end_split(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let (values, line) = self.metrics_line();
        println!(
            "epoch {}/{} {:<5}  {}",
            self.epoch, self.total_epochs, self.split, line
        );
        self.history.lock().unwrap().push(EpochMetrics {
            epoch: self.epoch,
            split: self.split.clone(),
            values,
        });
    }

    fn end(&mut self) {}

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for EpochLogRenderer {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, _name: &str, _total_items: usize) {}
    fn update_test_progress(&mut self, _items_processed: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for EpochLogRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        if !self.names.contains_key(&definition.metric_id) {
            self.order.push(definition.metric_id.clone());
        }
        self.names
            .insert(definition.metric_id, definition.name.to_string());
    }
}
