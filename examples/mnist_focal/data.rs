//! MNIST idx files (raw or gzip) and the synthetic data of the Keras document.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::transform::PartialDataset;
use burn::data::dataset::{Dataset, InMemDataset};
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn_losses::train::ClassificationBatch;

/// One 28×28 grey image and its digit.
#[derive(Debug, Clone)]
pub struct Digit {
    /// Row-major pixels, 0–255.
    pub pixels: Vec<u8>,
    /// 0–9.
    pub label: u8,
}

/// An in-memory split.
pub type Digits = InMemDataset<Digit>;

/// MNIST for the examples that train on part of it (idx files found by [`locate`]).
#[allow(dead_code)] // not used by mnist_focal itself
pub struct LimitedSplits {
    /// The first `train_limit` training images.
    pub train: Arc<dyn Dataset<Digit>>,
    /// The first 1000 of `test` (the Learner's validation split).
    pub valid: Arc<dyn Dataset<Digit>>,
    /// The first `test_limit` test images (all 10 000 by default).
    pub test: Arc<dyn Dataset<Digit>>,
    /// Where the files were found.
    pub source: &'static str,
}

/// The [`LimitedSplits`] of the idx files in `data_dir` (or the default places).
#[allow(dead_code)] // not used by mnist_focal itself
pub fn limited_splits(
    data_dir: Option<&Path>,
    train_limit: usize,
    test_limit: Option<usize>,
) -> Result<LimitedSplits, String> {
    let (train_dir, test_dir, source) =
        locate(data_dir).ok_or("no MNIST idx files found (use --data-dir)")?;
    let full_train = read_split(&train_dir, "train")?;
    let test = read_split(&test_dir, "test")?;
    let train: Arc<dyn Dataset<Digit>> =
        Arc::new(PartialDataset::new(full_train, 0, train_limit.min(60_000)));
    let test: Arc<dyn Dataset<Digit>> = match test_limit {
        Some(n) if n < test.len() => Arc::new(PartialDataset::new(test, 0, n)),
        _ => Arc::new(test),
    };
    let valid: Arc<dyn Dataset<Digit>> = Arc::new(PartialDataset::new(test.clone(), 0, 1000.min(test.len())));
    Ok(LimitedSplits {
        train,
        valid,
        test,
        source,
    })
}

/// The idx file prefix of a split: `train` or `t10k` (for `test`).
fn prefix(split: &str) -> &'static str {
    if split == "train" { "train" } else { "t10k" }
}

/// Where the train/test files were found.
pub fn locate(data_dir: Option<&Path>) -> Option<(PathBuf, PathBuf, &'static str)> {
    let has = |train: &Path, test: &Path| {
        [("train", train), ("test", test)].iter().all(|(split, dir)| {
            ["images-idx3-ubyte", "labels-idx1-ubyte"]
                .iter()
                .all(|kind| find(dir, &format!("{}-{kind}", prefix(split))).is_some())
        })
    };
    if let Some(dir) = data_dir {
        return has(dir, dir).then(|| (dir.to_path_buf(), dir.to_path_buf(), "--data-dir"));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    if let Some(cache) = cache {
        let root = cache.join("burn-dataset").join("mnist");
        let (train, test) = (root.join("train"), root.join("test"));
        if has(&train, &test) {
            return Some((train, test, "burn MnistDataset cache"));
        }
    }
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join("mnist");
    has(&shipped, &shipped).then(|| (shipped.clone(), shipped, "data/mnist (shipped copy)"))
}

/// `name` or `name.gz` in `dir`.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

fn read_idx(path: &Path) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Reads one split (`train` or `test`) from `dir`.
pub fn read_split(dir: &Path, split: &str) -> Result<Digits, String> {
    let prefix = prefix(split);
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte")).ok_or("missing images")?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte")).ok_or("missing labels")?;
    let images = read_idx(&images_path)?;
    let labels = read_idx(&labels_path)?;
    if be_u32(&images, 0) != 2051 || be_u32(&labels, 0) != 2049 {
        return Err(format!("{}: not an MNIST idx file (bad magic)", dir.display()));
    }
    let n = be_u32(&images, 4);
    let (rows, cols) = (be_u32(&images, 8), be_u32(&images, 12));
    if n != be_u32(&labels, 4) || rows * cols != 784 || images.len() < 16 + n * 784 || labels.len() < 8 + n {
        return Err(format!("{}: inconsistent idx headers", dir.display()));
    }
    Ok(Digits::new(
        (0..n)
            .map(|i| Digit {
                pixels: images[16 + i * 784..16 + (i + 1) * 784].to_vec(),
                label: labels[8 + i],
            })
            .collect(),
    ))
}

/// Through burn's `MnistDataset` (downloads into its cache when network is available).
pub fn burn_download(split: &str) -> Digits {
    use burn_dataset::vision::MnistDataset;
    let ds = if split == "train" {
        MnistDataset::train()
    } else {
        MnistDataset::test()
    };
    Digits::new(
        (0..ds.len())
            .map(|i| {
                let item = ds.get(i).expect("in range");
                Digit {
                    pixels: item.image.iter().flatten().map(|&p| p as u8).collect(),
                    label: item.label,
                }
            })
            .collect(),
    )
}

/// The Keras document's data: `n` uniform-random 28×28×1 images and random labels 0–9.
pub fn synthetic(n: usize, seed: u64) -> Digits {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    Digits::new(
        (0..n)
            .map(|_| Digit {
                pixels: (0..784).map(|_| (next() % 256) as u8).collect(),
                label: (next() % 10) as u8,
            })
            .collect(),
    )
}

/// Images scaled to [0, 1] as `[N, 1, 28, 28]`, labels as class indices.
#[derive(Clone, Default)]
pub struct DigitBatcher;

impl Batcher<Digit, ClassificationBatch<Tensor<4>>> for DigitBatcher {
    fn batch(&self, items: Vec<Digit>, device: &Device) -> ClassificationBatch<Tensor<4>> {
        let n = items.len();
        let pixels: Vec<f32> = items
            .iter()
            .flat_map(|d| d.pixels.iter().map(|&p| p as f32 / 255.0))
            .collect();
        let labels: Vec<i64> = items.iter().map(|d| d.label as i64).collect();
        ClassificationBatch {
            inputs: Tensor::from_data(TensorData::new(pixels, [n, 1, 28, 28]), device),
            targets: Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device),
        }
    }
}
