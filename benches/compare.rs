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
use burn::tensor::{Device, Tensor};
use burn_losses::{DynInput, DynTensor, LossConfig, LossInputs};
use clap::Parser;

mod cases;
use cases::{Data, Kind, cases, inputs};

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
    /// Print the cases as JSON lines {"case", "shape", "classes", "data", "anchor", "loss"} and exit.
    #[arg(long)]
    list: bool,
    // `cargo bench` passes --bench to every bench binary
    #[arg(long, hide = true)]
    bench: bool,
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
                serde_json::json!({
                    "case": c.name, "shape": c.data.shape(), "classes": c.data.classes(),
                    "data": c.data.kind(), "anchor": c.anchor, "loss": loss,
                })
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
    let value = model.loss(&plain).into_scalar::<f32>() as f64;
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
    // which path the loss takes with autodiff: a fused kernel, or the composed tensor ops
    let runs = burn_losses::fused_kernel_runs();
    std::hint::black_box(backward());
    let path = match (&case.kind, burn_losses::fused_kernel_runs() > runs) {
        (Kind::Config(_), true) => "fused",
        (Kind::Config(_), false) => "composed",
        _ => "burn-nn",
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
            "value": value,
            "forward_ms": median_ms(fwd),
            "forward_backward_ms": median_ms(fwd_bwd),
            "peak_extra_bytes": peak_extra,
            "path": path,
            "input_bytes": input_bytes,
        })
    );
}
