//! `burn-losses plot`: loss and gradient curves drawn with `plotters` (PNG or SVG, text in the
//! Ubuntu font that `epaint_default_fonts` embeds, so no system font is needed).
//!
//! Every point is one `eval` of the loss config on the chosen device (the same JSON path as
//! `burn-losses eval`), so a curve is what the library computes, gradients included (`--grad`:
//! the derivative with respect to the varying argument, by autodiff).

use std::path::Path;

use burn_losses::LossConfig;
use burn_losses::eval::{EvalRequest, eval_request};
use clap::{Args, ValueEnum};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

/// The preset figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// Focal loss vs the probability of the true class p_t for γ ∈ {0, 0.5, 1, 2, 5} (Lin et al.
    /// 2017, Figure 1; γ = 0 is the cross-entropy).
    Focal,
    /// Huber loss vs the error for δ ∈ {0.5, 1, 2}, with MSE / 2.
    Huber,
    /// Log-cosh vs MSE and MAE over the error.
    LogCosh,
    /// Pinball (quantile) loss vs the error for τ ∈ {0.1, 0.5, 0.9}.
    Pinball,
    /// Hinge, squared hinge, logistic, exponential and perceptron losses vs the margin y·ŷ.
    Margin,
}

/// The arguments of `burn-losses plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A preset figure (ignores --loss / --vary / --set / --from / --to).
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// A loss config (a name or JSON) to draw; repeat for several curves.
    #[arg(long = "loss", value_name = "CONFIG")]
    losses: Vec<String>,
    /// The argument on the x axis: a one-element float tensor [1].
    #[arg(long, default_value = "input", value_name = "NAME")]
    vary: String,
    /// Another argument, fixed: NAME=NUMBER (a one-element tensor [1]) or NAME=JSON (nested
    /// arrays; integers for class indices). Default: target=1.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Start of the x range.
    #[arg(long, default_value_t = -3.0, allow_negative_numbers = true)]
    from: f64,
    /// End of the x range.
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    to: f64,
    /// Points per curve.
    #[arg(long, default_value_t = 201)]
    points: usize,
    /// Draw d(loss)/d(the varying argument) instead of the loss.
    #[arg(long)]
    grad: bool,
    /// Output file: .png or .svg. Default: <preset or "loss">[_grad].png.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    /// Backend: flex | ndarray | wgpu | vulkan | tch | cuda (default: the first compiled in).
    #[arg(long, value_name = "NAME")]
    device: Option<String>,
}

/// One figure: curves of one varying argument.
struct Figure {
    title: String,
    x_label: String,
    vary: String,
    /// The varying argument's value at the x axis position `x`.
    argument_at: fn(f64) -> f64,
    from: f64,
    to: f64,
    fixed: Vec<(String, Value)>,
    curves: Vec<(String, LossConfig)>,
    /// Where the legend goes on the loss and on the gradient figure (away from the curves).
    legend: [SeriesLabelPosition; 2],
}

fn identity(x: f64) -> f64 {
    x
}

fn parse_config(text: &str) -> Result<LossConfig, String> {
    LossConfig::parse(text).map_err(|e| format!("--loss: {e}"))
}

/// Regression losses against the error `ŷ − y` ∈ [−3, 3] (`target` 0).
fn error_figure(title: &str, curves: Vec<(String, LossConfig)>) -> Figure {
    Figure {
        title: title.into(),
        x_label: "ŷ − y".into(),
        vary: "input".into(),
        argument_at: identity,
        from: -3.0,
        to: 3.0,
        legend: [SeriesLabelPosition::UpperMiddle, SeriesLabelPosition::UpperLeft],
        fixed: vec![("target".to_string(), serde_json::json!([0.0]))],
        curves,
    }
}

fn preset(preset: Preset) -> Result<Figure, String> {
    let cfg = |label: &str, json: String| Ok::<_, String>((label.to_string(), parse_config(&json)?));
    let target = |v: f64| vec![("target".to_string(), serde_json::json!([v]))];
    Ok(match preset {
        Preset::Focal => Figure {
            title: "focal loss vs probability of the ground-truth class".into(),
            x_label: "p_t".into(),
            vary: "input".into(),
            argument_at: identity,
            from: 0.001,
            to: 1.0,
            legend: [SeriesLabelPosition::UpperRight, SeriesLabelPosition::LowerRight],
            fixed: target(1.0),
            curves: [0.0, 0.5, 1.0, 2.0, 5.0]
                .iter()
                .map(|g| {
                    cfg(
                        &format!("γ = {g}"),
                        format!(
                            r#"{{"type": "binary_focal", "gamma": {g}, "alpha": null, "from_logits": false}}"#
                        ),
                    )
                })
                .collect::<Result<_, _>>()?,
        },
        Preset::Huber => error_figure(
            "Huber loss vs error",
            vec![
                cfg("δ = 0.5", r#"{"type": "huber", "delta": 0.5}"#.into())?,
                cfg("δ = 1", r#"{"type": "huber", "delta": 1.0}"#.into())?,
                cfg("δ = 2", r#"{"type": "huber", "delta": 2.0}"#.into())?,
                cfg("MSE / 2 (δ = ∞)", r#"{"type": "huber", "delta": 1e9}"#.into())?,
            ],
        ),
        Preset::LogCosh => error_figure(
            "log-cosh vs MSE and MAE",
            vec![
                cfg("log_cosh", r#"{"type": "log_cosh"}"#.into())?,
                cfg("mse", r#"{"type": "mse"}"#.into())?,
                cfg("mae", r#"{"type": "mae"}"#.into())?,
            ],
        ),
        Preset::Pinball => Figure {
            title: "pinball loss vs error".into(),
            x_label: "y − ŷ".into(),
            vary: "input".into(),
            argument_at: |x| -x,
            from: -3.0,
            to: 3.0,
            legend: [SeriesLabelPosition::UpperMiddle, SeriesLabelPosition::UpperLeft],
            fixed: target(0.0),
            curves: [0.1, 0.5, 0.9]
                .iter()
                .map(|t| {
                    cfg(
                        &format!("τ = {t}"),
                        format!(r#"{{"type": "quantile", "quantile": {t}}}"#),
                    )
                })
                .collect::<Result<_, _>>()?,
        },
        Preset::Margin => Figure {
            title: "margin losses vs margin".into(),
            x_label: "y·ŷ".into(),
            vary: "input".into(),
            argument_at: identity,
            from: -2.0,
            to: 2.5,
            legend: [SeriesLabelPosition::UpperRight, SeriesLabelPosition::LowerRight],
            fixed: target(1.0),
            curves: ["hinge", "squared_hinge", "logistic", "exponential", "perceptron"]
                .iter()
                .map(|name| cfg(name, format!(r#"{{"type": "{name}"}}"#)))
                .collect::<Result<_, _>>()?,
        },
    })
}

/// `NAME=NUMBER` or `NAME=JSON` of `--set`.
fn parse_set(text: &str) -> Result<(String, Value), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("--set: expected NAME=VALUE, got {text:?}"))?;
    let value: Value = serde_json::from_str(value)
        .map_err(|e| format!("--set {name}: expected a number or JSON arrays: {e}"))?;
    let value = if value.is_number() {
        Value::Array(vec![value])
    } else {
        value
    };
    Ok((name.to_string(), value))
}

fn figure(args: &PlotArgs) -> Result<Figure, String> {
    if let Some(p) = args.preset {
        return preset(p);
    }
    if args.losses.is_empty() {
        return Err("--loss: expected at least one loss config, or a --preset".into());
    }
    let curves = args
        .losses
        .iter()
        .map(|text| Ok((parse_config(text)?.to_string(), parse_config(text)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut fixed = args
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    if !fixed.iter().any(|(n, _)| n == "target") && args.vary != "target" {
        fixed.push(("target".into(), serde_json::json!([1.0])));
    }
    let title = if curves.len() == 1 {
        curves[0].1.name().to_string()
    } else {
        "losses".into()
    };
    Ok(Figure {
        title,
        x_label: args.vary.clone(),
        vary: args.vary.clone(),
        argument_at: identity,
        from: args.from,
        to: args.to,
        fixed,
        curves,
        legend: [SeriesLabelPosition::UpperRight, SeriesLabelPosition::UpperRight],
    })
}

/// The points `(x, loss or gradient)` of one curve; points where the loss is not finite are left
/// out.
fn curve(
    fig: &Figure,
    config: &LossConfig,
    points: usize,
    grad: bool,
    device: &burn::tensor::Device,
) -> Result<Vec<(f64, f64)>, String> {
    let mut out = Vec::with_capacity(points);
    for k in 0..points {
        let x = fig.from + (fig.to - fig.from) * k as f64 / (points.max(2) - 1) as f64;
        let mut inputs: serde_json::Map<String, Value> = fig.fixed.iter().cloned().collect();
        inputs.insert(fig.vary.clone(), serde_json::json!([(fig.argument_at)(x)]));
        let request = EvalRequest {
            loss: config.clone(),
            inputs: inputs.into_iter().collect(),
            grad,
            dtype: Default::default(),
        };
        let response =
            eval_request(&request, device).map_err(|e| format!("{config} at {} = {x}: {e}", fig.vary))?;
        let y = if grad {
            let g = response
                .grad
                .as_ref()
                .and_then(|g| g.get(&fig.vary))
                .cloned()
                .unwrap_or(Value::Null);
            // the derivative along the x axis: d/dx = d/d(argument) · d(argument)/dx
            let slope = (fig.argument_at)(1.0) - (fig.argument_at)(0.0);
            first_number(&g).map(|v| v * slope)
        } else {
            first_number(&response.loss)
        };
        if let Some(y) = y.filter(|y| y.is_finite()) {
            out.push((x, y));
        }
    }
    Ok(out)
}

/// The first number of a (nested) JSON value: the loss of a `[1]` or `[]` output.
fn first_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Array(a) => a.first().and_then(first_number),
        _ => None,
    }
}

const SIZE: (u32, u32) = (900, 600);

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    fig: &Figure,
    series: &[(String, Vec<(f64, f64)>)],
    grad: bool,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let (lo, hi) = y_window(series);
    let pad = 0.05 * (hi - lo).max(1e-9);
    let title = if grad {
        format!("{} — gradient", fig.title)
    } else {
        fig.title.clone()
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(fig.from..fig.to, (lo - pad)..(hi + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(fig.x_label.as_str())
        .y_desc(if grad { "d loss / d x" } else { "loss" })
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    for (k, (label, points)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let visible = points
            .iter()
            .copied()
            .filter(|p| (lo - pad..=hi + pad).contains(&p.1));
        chart
            .draw_series(LineSeries::new(visible, color.stroke_width(2)))
            .map_err(err)?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(fig.legend[grad as usize].clone())
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// The y range drawn: all points, except that an end where the curves diverge (`−log p` at
/// `p → 0`, its gradient `−1/p`) is cut at the 1st / 99th percentile of all points, so that it
/// does not flatten every other curve; widened to include 0.
fn y_window(series: &[(String, Vec<(f64, f64)>)]) -> (f64, f64) {
    let mut ys: Vec<f64> = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).collect();
    if ys.is_empty() {
        return (0.0, 1.0);
    }
    ys.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ys[((ys.len() - 1) as f64 * q).round() as usize];
    let (min, max) = (ys[0], ys[ys.len() - 1]);
    let (p01, p99) = (at(0.01), at(0.99));
    // the percentile only where the extreme is far beyond it (a divergence, not a steep curve)
    let hi = if max - p01 > 2.0 * (p99 - p01) { p99 } else { max };
    let lo = if p99 - min > 2.0 * (p99 - p01) { p01 } else { min };
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    if hi > lo { (lo, hi) } else { (lo - 1.0, hi + 1.0) }
}

/// Draws the figure; returns the path written.
pub fn plot(args: &PlotArgs) -> Result<String, String> {
    let name = args.device.clone().unwrap_or_else(|| {
        burn_losses::device::enabled_names()
            .first()
            .copied()
            .unwrap_or("flex")
            .to_string()
    });
    let device = burn_losses::device::parse_device(&name).map_err(|e| format!("--device: {e}"))?;
    if args.points < 2 {
        return Err(format!("--points: expected at least 2, got {}", args.points));
    }
    if !(args.from.is_finite() && args.to.is_finite() && args.from < args.to) {
        return Err(format!(
            "--from / --to: expected finite numbers with from < to, got {} and {}",
            args.from, args.to
        ));
    }
    let fig = figure(args)?;
    let series = fig
        .curves
        .iter()
        .map(|(label, config)| {
            Ok((
                label.clone(),
                curve(&fig, config, args.points, args.grad, &device)?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let stem = match args.preset {
        Some(p) => p
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default(),
        None => "loss".to_string(),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| format!("{stem}{}.png", if args.grad { "_grad" } else { "" }));
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the embedded Ubuntu font could not be read".to_string())?;
    let path = Path::new(&out);
    match path.extension().and_then(|e| e.to_str()) {
        Some("png") => draw(
            BitMapBackend::new(path, SIZE).into_drawing_area(),
            &fig,
            &series,
            args.grad,
        )?,
        Some("svg") => draw(
            SVGBackend::new(path, SIZE).into_drawing_area(),
            &fig,
            &series,
            args.grad,
        )?,
        _ => return Err(format!("--out: expected a .png or .svg file name, got {out:?}")),
    }
    Ok(out)
}
