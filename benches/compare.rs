//! The burn side of `benches/compare.py`'s side-by-side table against PyTorch: one case on one
//! device, timed here, printed as one JSON line (the script alternates these runs with the
//! PyTorch ones, round by round).
//!
//! ```sh
//! cargo bench -q --bench compare -- --list
//! cargo bench -q --bench compare -- --case binary_focal_1m --device flex --reps 10
//! ```
//!
//! Times are medians of `--reps` runs after 2 warm-ups, each ending with a read-back of one
//! number (the loss, or the sum of the input gradient) so that lazy and GPU backends finish
//! their work inside the timing, as PyTorch's `.item()` does. `peak_extra_bytes` is the most
//! host memory that one forward+backward holds beyond what was allocated before it (the inputs),
//! through a counting global allocator: the autodiff graph, the intermediate tensors and the
//! input gradient; GPU memory is not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use burn::nn::loss::{
    BinaryCrossEntropyLoss, BinaryCrossEntropyLossConfig, CrossEntropyLoss, CrossEntropyLossConfig, MseLoss,
};
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn_losses::{DynInput, DynTensor, LossConfig, LossInputs};
use clap::Parser;

/// The system allocator, counting the bytes held now and their peak.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn count_alloc(size: usize) {
    let now = HELD.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            HELD.fetch_sub(layout.size(), Ordering::Relaxed);
            count_alloc(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[derive(Parser)]
#[command(about = "Times one loss case (forward, forward+backward, peak memory) for benches/compare.py")]
struct Args {
    /// The case (see --list).
    #[arg(long, required_unless_present = "list")]
    case: Option<String>,
    /// Backend: flex | ndarray | wgpu | tch | cuda (must be compiled in).
    #[arg(long, default_value = "flex")]
    device: String,
    /// Timed runs of each of forward and forward+backward (after 2 warm-ups).
    #[arg(long, default_value_t = 10)]
    reps: usize,
    /// Print the cases as JSON lines {"case", "shape", "classes", "loss"} and exit.
    #[arg(long)]
    list: bool,
    // `cargo bench` passes --bench to every bench binary
    #[arg(long, hide = true)]
    bench: bool,
}

/// The inputs of a case.
#[derive(Clone, Copy)]
enum Data {
    /// Logits `[n, c]` and 0/1 targets `[n, c]` (multi-label).
    Binary { n: usize, c: usize },
    /// Logits `[n, c]` and class indices `[n]`.
    Classes { n: usize, c: usize },
    /// Logits `[n, c, h, w]` and class indices `[n, h, w]`.
    Dense { n: usize, c: usize, h: usize, w: usize },
    /// Embeddings `[n, d]` and labels `[n]` of `classes` equal-sized classes.
    Embeddings { n: usize, d: usize, classes: usize },
    /// Predictions and targets `[n, c]`: the values and the values shifted by one position, both
    /// moved by 2.5 into `[0.5, 4.5)` when `positive` (rates and counts: MSLE, Poisson).
    Regression { n: usize, c: usize, positive: bool },
}

impl Data {
    fn shape(&self) -> Vec<usize> {
        match *self {
            Data::Binary { n, c } | Data::Classes { n, c } | Data::Regression { n, c, .. } => vec![n, c],
            Data::Dense { n, c, h, w } => vec![n, c, h, w],
            Data::Embeddings { n, d, .. } => vec![n, d],
        }
    }
}

/// What computes the loss: a burn-losses config, or burn-nn's own loss (the in-run baseline).
enum Kind {
    Config(String),
    BurnCrossEntropy,
    BurnBinaryCrossEntropy,
    BurnMse,
}

struct Case {
    name: String,
    data: Data,
    kind: Kind,
    /// Run with the fused kernels off (`burn_losses::set_fused_kernels(false)`): the composed
    /// tensor-op path, next to the fused one.
    composed: bool,
}

fn cases() -> Vec<Case> {
    let case = |name: &str, data, json: &str| Case {
        name: name.into(),
        data,
        kind: Kind::Config(json.into()),
        composed: false,
    };
    let counts = |c: usize| {
        (0..c)
            .map(|k| (10_000 / (k + 1)).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let million = Data::Binary { n: 4096, c: 256 };
    let mut all = vec![
        case("binary_focal_1m", million, r#"{"type": "binary_focal"}"#),
        Case {
            composed: true,
            ..case("binary_focal_composed_1m", million, r#"{"type": "binary_focal"}"#)
        },
        case("bce_1m", million, r#"{"type": "bce"}"#),
        Case {
            composed: true,
            ..case("bce_composed_1m", million, r#"{"type": "bce"}"#)
        },
        Case {
            name: "burn_bce_1m".into(),
            data: million,
            kind: Kind::BurnBinaryCrossEntropy,
            composed: false,
        },
    ];
    for (n, c) in [(65_536, 10), (4096, 1000)] {
        let data = Data::Classes { n, c };
        all.push(case(&format!("focal_{n}x{c}"), data, r#"{"type": "focal"}"#));
        all.push(case(
            &format!("cross_entropy_{n}x{c}"),
            data,
            r#"{"type": "cross_entropy"}"#,
        ));
        let cb = format!(
            r#"{{"type": "class_balanced", "samples_per_class": [{}], "base": "softmax"}}"#,
            counts(c)
        );
        all.push(case(&format!("class_balanced_{n}x{c}"), data, &cb));
        all.push(Case {
            name: format!("burn_cross_entropy_{n}x{c}"),
            data,
            kind: Kind::BurnCrossEntropy,
            composed: false,
        });
    }
    // the element-wise kind at 4,096 × 256
    let regression = Data::Regression {
        n: 4096,
        c: 256,
        positive: false,
    };
    let rates = Data::Regression {
        n: 4096,
        c: 256,
        positive: true,
    };
    for (name, data, json) in [
        ("mse", regression, r#"{"type": "mse"}"#),
        ("mae", regression, r#"{"type": "mae"}"#),
        ("huber", regression, r#"{"type": "huber"}"#),
        ("smooth_l1", regression, r#"{"type": "smooth_l1"}"#),
        ("log_cosh", regression, r#"{"type": "log_cosh"}"#),
        ("charbonnier", regression, r#"{"type": "charbonnier"}"#),
        ("quantile", regression, r#"{"type": "quantile", "quantile": 0.9}"#),
        ("mape", regression, r#"{"type": "mape"}"#),
        ("smape", regression, r#"{"type": "smape"}"#),
        ("msle", rates, r#"{"type": "msle"}"#),
        ("poisson", rates, r#"{"type": "poisson"}"#),
    ] {
        all.push(case(&format!("{name}_4096x256"), data, json));
    }
    all.push(Case {
        composed: true,
        ..case("mse_composed_4096x256", regression, r#"{"type": "mse"}"#)
    });
    all.push(Case {
        name: "burn_mse_4096x256".into(),
        data: regression,
        kind: Kind::BurnMse,
        composed: false,
    });
    all.push(case(
        "dice_8x4x128x128",
        Data::Dense {
            n: 8,
            c: 4,
            h: 128,
            w: 128,
        },
        r#"{"type": "dice", "activation": "softmax"}"#,
    ));
    all.push(case(
        "triplet_batch_hard_1024x128",
        Data::Embeddings {
            n: 1024,
            d: 128,
            classes: 32,
        },
        r#"{"type": "triplet_mined", "mining": "batch_hard", "margin": 0.05, "normalize_embeddings": true}"#,
    ));
    all.push(case(
        "nt_xent_1024x128",
        Data::Embeddings {
            n: 1024,
            d: 128,
            classes: 512,
        },
        r#"{"type": "nt_xent", "temperature": 0.07}"#,
    ));
    all
}

/// Deterministic values in [-2, 2) (the same on every run; no RNG needed for timing).
fn values(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i.wrapping_mul(7919) + i / 3) % 1000) as f32 / 250.0 - 2.0)
        .collect()
}

impl Data {
    /// The number of label classes of an embeddings case (the PyTorch side builds the same labels).
    fn classes(&self) -> Option<usize> {
        match *self {
            Data::Embeddings { classes, .. } => Some(classes),
            _ => None,
        }
    }

    /// The float argument whose gradient forward+backward computes.
    fn float_input(&self) -> &'static str {
        match self {
            Data::Embeddings { .. } => "embeddings",
            _ => "input",
        }
    }
}

/// The case's inputs on `device`, as named arguments.
fn inputs(data: Data, device: &Device) -> LossInputs {
    let float2 = |n: usize, c: usize| Tensor::<2>::from_data(TensorData::new(values(n * c), [n, c]), device);
    let ints = |v: Vec<i64>, n: usize| Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device);
    match data {
        Data::Binary { n, c } => {
            let y: Vec<f32> = (0..n * c).map(|i| ((i * 13) % 5 == 0) as u8 as f32).collect();
            let y = Tensor::<2>::from_data(TensorData::new(y, [n, c]), device);
            LossInputs::new()
                .with_float("input", float2(n, c))
                .with_float("target", y)
        }
        Data::Classes { n, c } => {
            let t = ints((0..n).map(|i| ((i * 31) % c) as i64).collect(), n);
            LossInputs::new()
                .with_float("input", float2(n, c))
                .with_int("target", t)
        }
        Data::Dense { n, c, h, w } => {
            let x = Tensor::<4>::from_data(TensorData::new(values(n * c * h * w), [n, c, h, w]), device);
            let t: Vec<i64> = (0..n * h * w).map(|i| ((i * 31 + i / w) % c) as i64).collect();
            let t = Tensor::<3, Int>::from_data(TensorData::new(t, [n, h, w]), device);
            LossInputs::new().with_float("input", x).with_int("target", t)
        }
        Data::Embeddings { n, d, classes } => {
            let labels = ints((0..n).map(|i| (i % classes) as i64).collect(), n);
            LossInputs::new()
                .with_float("embeddings", float2(n, d))
                .with_int("labels", labels)
        }
        Data::Regression { n, c, positive } => {
            let shift = if positive { 2.5 } else { 0.0 };
            let v = values(n * c);
            let x: Vec<f32> = v.iter().map(|v| v + shift).collect();
            let y: Vec<f32> = (0..n * c).map(|i| v[(i + 1) % (n * c)] + shift).collect();
            let tensor = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [n, c]), device);
            LossInputs::new()
                .with_float("input", tensor(x))
                .with_float("target", tensor(y))
        }
    }
}

/// The loss of a case, built once, outside the timing.
enum Model {
    Config(burn_losses::Loss),
    BurnCrossEntropy(CrossEntropyLoss),
    BurnBinaryCrossEntropy(BinaryCrossEntropyLoss),
    BurnMse(MseLoss),
}

impl Model {
    fn new(kind: &Kind, device: &Device) -> Self {
        match kind {
            Kind::Config(json) => {
                Model::Config(LossConfig::parse(json).expect("valid case config").init(device))
            }
            Kind::BurnCrossEntropy => Model::BurnCrossEntropy(CrossEntropyLossConfig::new().init(device)),
            Kind::BurnBinaryCrossEntropy => Model::BurnBinaryCrossEntropy(
                BinaryCrossEntropyLossConfig::new().with_logits(true).init(device),
            ),
            Kind::BurnMse => Model::BurnMse(MseLoss::new()),
        }
    }

    /// The case's inputs in the form this loss takes: burn-nn's BCE wants integer targets,
    /// converted here once, not inside the timing.
    fn inputs(&self, data: Data, device: &Device) -> LossInputs {
        let args = inputs(data, device);
        match self {
            Model::BurnBinaryCrossEntropy(_) => {
                let y = args
                    .float("bce", "target")
                    .expect("0/1 targets")
                    .into_tensor::<2>()
                    .int();
                args.with_int("target", y)
            }
            _ => args,
        }
    }

    /// One loss value `[1]`.
    fn loss(&self, args: &LossInputs) -> Tensor<1> {
        let logits = || args.float("compare", "input").expect("logits").into_tensor::<2>();
        match self {
            Model::Config(loss) => loss.forward_inputs(args).expect("valid case").flat.sum(),
            Model::BurnCrossEntropy(ce) => {
                let targets = args.int("cross_entropy", "target").expect("class indices");
                ce.forward(logits(), targets.into_tensor::<1>())
            }
            Model::BurnBinaryCrossEntropy(bce) => {
                let targets = args.int("bce", "target").expect("0/1 targets");
                bce.forward(logits(), targets.into_tensor::<2>())
            }
            Model::BurnMse(mse) => {
                let targets = args.float("mse", "target").expect("targets").into_tensor::<2>();
                mse.forward(logits(), targets, burn::nn::loss::Reduction::Mean)
            }
        }
    }
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let args = Args::parse();
    let all = cases();
    if args.list {
        for c in &all {
            let loss = match &c.kind {
                Kind::Config(json) if c.composed => format!("{json} (fused kernels off)"),
                Kind::Config(json) => json.clone(),
                Kind::BurnCrossEntropy => "burn::nn::loss::CrossEntropyLoss".into(),
                Kind::BurnBinaryCrossEntropy => "burn::nn::loss::BinaryCrossEntropyLoss (logits)".into(),
                Kind::BurnMse => "burn::nn::loss::MseLoss".into(),
            };
            println!(
                "{}",
                serde_json::json!({"case": c.name, "shape": c.data.shape(), "classes": c.data.classes(), "loss": loss})
            );
        }
        return;
    }
    let name = args.case.expect("--case");
    let Some(case) = all.iter().find(|c| c.name == name) else {
        eprintln!("--case: unknown case {name:?} (see --list)");
        std::process::exit(2);
    };
    let device = burn_losses::device::parse_device(&args.device).unwrap_or_else(|e| {
        eprintln!("--device: {e}");
        std::process::exit(2);
    });
    burn_losses::set_fused_kernels(!case.composed);
    let model = Model::new(&case.kind, &device);

    let plain = model.inputs(case.data, &device);
    let mut fwd = Vec::new();
    for rep in 0..args.reps + 2 {
        let t = Instant::now();
        std::hint::black_box(model.loss(&plain).into_scalar::<f32>());
        if rep >= 2 {
            fwd.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }

    let ad = device.clone().autodiff();
    let tracked = model.inputs(case.data, &ad);
    let name = case.data.float_input();
    let x = tracked.float("compare", name).expect("the float input");
    let backward = || {
        let flat = x.flat.clone().require_grad();
        let mut args = tracked.clone();
        args.insert(
            name,
            DynInput::Float(DynTensor::new(flat.clone(), x.shape.clone())),
        );
        let grads = model.loss(&args).backward();
        flat.grad(&grads)
            .expect("input gradient")
            .sum()
            .into_scalar::<f32>()
    };
    let mut fwd_bwd = Vec::new();
    let mut peak_extra = 0usize;
    for rep in 0..args.reps + 2 {
        let base = HELD.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        std::hint::black_box(backward());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        peak_extra = peak_extra.max(PEAK.load(Ordering::Relaxed).saturating_sub(base));
        if rep >= 2 {
            fwd_bwd.push(ms);
        }
    }
    let input_bytes: usize = case.data.shape().iter().product::<usize>() * 4;
    println!(
        "{}",
        serde_json::json!({
            "case": case.name,
            "device": args.device,
            "reps": args.reps,
            "forward_ms": median_ms(fwd),
            "forward_backward_ms": median_ms(fwd_bwd),
            "peak_extra_bytes": peak_extra,
            "input_bytes": input_bytes,
        })
    );
}
