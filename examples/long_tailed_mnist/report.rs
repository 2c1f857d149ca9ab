//! Results of the study: one record per run, the Markdown table (mean ± spread over seeds) and
//! the JSON file.

use std::path::Path;

use burn_losses::LossConfig;
use burn_losses::train::ConfusionMatrix;
use serde::Serialize;

/// One trained model's scores on the balanced test set.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub rho: f64,
    pub loss: String,
    pub config: String,
    pub seed: u64,
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    pub macro_f1: f64,
    pub recall: Vec<f64>,
    pub train_seconds: f64,
}

impl RunResult {
    pub fn new(
        rho: f64,
        loss: &str,
        config: &LossConfig,
        seed: u64,
        confusion: &ConfusionMatrix,
        train_seconds: f64,
    ) -> Self {
        Self {
            rho,
            loss: loss.to_string(),
            config: config.to_string(),
            seed,
            accuracy: confusion.accuracy(),
            balanced_accuracy: confusion.balanced_accuracy(),
            macro_f1: confusion.macro_f1(),
            recall: confusion.per_class_recall(),
            train_seconds,
        }
    }

    pub fn summary(&self) -> String {
        let recall: Vec<String> = self.recall.iter().map(|r| format!("{:.0}", 100.0 * r)).collect();
        format!(
            "accuracy {:.2}%  balanced {:.2}%  macro-F1 {:.4}  recall(%) [{}]  ({:.0} s)",
            100.0 * self.accuracy,
            100.0 * self.balanced_accuracy,
            self.macro_f1,
            recall.join(" "),
            self.train_seconds
        )
    }
}

/// Every run plus what produced them.
#[derive(Debug, Default, Serialize)]
pub struct Study {
    pub settings: String,
    /// (ρ, n_c per class)
    pub counts: Vec<(f64, Vec<usize>)>,
    pub runs: Vec<RunResult>,
}

/// Mean and spread (half the min–max range) of some values.
pub fn mean_spread(values: &[f64]) -> (f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (mean, (max - min) / 2.0)
}

impl Study {
    /// The (ρ, loss) groups in run order.
    pub fn groups(&self) -> Vec<(f64, String, Vec<&RunResult>)> {
        let mut groups: Vec<(f64, String, Vec<&RunResult>)> = Vec::new();
        for run in &self.runs {
            match groups
                .iter_mut()
                .find(|(rho, loss, _)| *rho == run.rho && *loss == run.loss)
            {
                Some(group) => group.2.push(run),
                None => groups.push((run.rho, run.loss.clone(), vec![run])),
            }
        }
        groups
    }

    /// Mean per-class recall of one group.
    pub fn mean_recall(runs: &[&RunResult]) -> Vec<f64> {
        (0..runs[0].recall.len())
            .map(|c| runs.iter().map(|r| r.recall[c]).sum::<f64>() / runs.len() as f64)
            .collect()
    }

    /// The results table: one row per (ρ, loss), mean ± spread over seeds.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("Settings: {}.\n\n", self.settings));
        for (rho, counts) in &self.counts {
            out.push_str(&format!(
                "ρ = {rho}: n_c = {counts:?} ({} images)\n\n",
                counts.iter().sum::<usize>()
            ));
        }
        out.push_str("| ρ | loss | test accuracy % | balanced accuracy % | macro-F1 % | recall of the 3 rarest classes (7, 8, 9) % | seeds |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for (rho, loss, runs) in self.groups() {
            let stat = |f: &dyn Fn(&RunResult) -> f64| {
                let values: Vec<f64> = runs.iter().map(|r| 100.0 * f(r)).collect();
                let (mean, spread) = mean_spread(&values);
                format!("{mean:.2} ± {spread:.2}")
            };
            let recall = Self::mean_recall(&runs);
            let n = recall.len();
            let tail: Vec<String> = recall[n - 3..]
                .iter()
                .map(|r| format!("{:.1}", 100.0 * r))
                .collect();
            out.push_str(&format!(
                "| {rho} | {loss} | {} | {} | {} | {} | {} |\n",
                stat(&|r| r.accuracy),
                stat(&|r| r.balanced_accuracy),
                stat(&|r| r.macro_f1),
                tail.join(" / "),
                runs.len()
            ));
        }
        out
    }
}

/// Writes `long_tailed_mnist.json` (every run) and `long_tailed_mnist.md` (the table) into `dir`.
pub fn write(study: &Study, dir: &Path) -> Result<(), String> {
    let json = serde_json::to_string_pretty(study).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("long_tailed_mnist.json"), json + "\n").map_err(|e| e.to_string())?;
    let md = format!(
        "# Long-tailed MNIST\n\nReproduce: `cargo run --release --features train --example long_tailed_mnist` (writes this file, the JSON \
         and the plots).\n\n{}\n![per-class recall](long_tailed_mnist_recall.png)\n",
        study.markdown()
    );
    std::fs::write(dir.join("long_tailed_mnist.md"), md).map_err(|e| e.to_string())
}
