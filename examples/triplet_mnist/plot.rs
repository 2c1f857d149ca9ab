//! The test embeddings projected on their first two principal components, coloured by digit
//! (PNG and SVG with `plotters`; text in the Ubuntu font embedded by `epaint_default_fonts`).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

const SIZE: (u32, u32) = (900, 800);

/// The first two principal components of the rows of `x` (`n × d`, row-major): the projections
/// `(pc1, pc2)` of each row (power iteration on the covariance, with deflation).
pub fn pca_2d(x: &[f32], n: usize, d: usize) -> Vec<(f64, f64)> {
    let mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x[i * d + j] as f64).sum::<f64>() / n as f64)
        .collect();
    let centred = |i: usize, j: usize| x[i * d + j] as f64 - mean[j];
    if d == 2 {
        return (0..n).map(|i| (centred(i, 0), centred(i, 1))).collect();
    }
    let mut cov = vec![0.0f64; d * d];
    for i in 0..n {
        for a in 0..d {
            for b in 0..d {
                cov[a * d + b] += centred(i, a) * centred(i, b) / n as f64;
            }
        }
    }
    let mut components: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        let mut v: Vec<f64> = (0..d).map(|j| 1.0 + (j + k) as f64 * 0.1).collect();
        for _ in 0..500 {
            let mut w: Vec<f64> = (0..d)
                .map(|a| (0..d).map(|b| cov[a * d + b] * v[b]).sum())
                .collect();
            for c in &components {
                let dot: f64 = w.iter().zip(c).map(|(p, q)| p * q).sum();
                w.iter_mut().zip(c).for_each(|(p, q)| *p -= dot * q);
            }
            let norm = w.iter().map(|p| p * p).sum::<f64>().sqrt().max(1e-30);
            v = w.into_iter().map(|p| p / norm).collect();
        }
        components.push(v);
    }
    (0..n)
        .map(|i| {
            let project = |c: &[f64]| (0..d).map(|j| centred(i, j) * c[j]).sum::<f64>();
            (project(&components[0]), project(&components[1]))
        })
        .collect()
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    points: &[(f64, f64)],
    labels: &[u8],
    title: &str,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (px, py) = (0.05 * (x1 - x0), 0.05 * (y1 - y0));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("principal component 1")
        .y_desc("principal component 2")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    for digit in 0..10u8 {
        let color = Palette99::pick(digit as usize).to_rgba();
        chart
            .draw_series(
                points
                    .iter()
                    .zip(labels)
                    .filter(|(_, l)| **l == digit)
                    .map(|(&p, _)| Circle::new(p, 2, color.mix(0.6).filled())),
            )
            .map_err(err)?
            .label(format!("{digit}"))
            .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Writes `<stem>.png` and `<stem>.svg` into `dir`.
pub fn embedding_plots(
    points: &[(f64, f64)],
    labels: &[u8],
    title: &str,
    dir: &Path,
    stem: &str,
) -> Result<(), String> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the embedded Ubuntu font could not be read".to_string())?;
    let png = dir.join(format!("{stem}.png"));
    draw(
        BitMapBackend::new(&png, SIZE).into_drawing_area(),
        points,
        labels,
        title,
    )?;
    let svg = dir.join(format!("{stem}.svg"));
    draw(
        SVGBackend::new(&svg, SIZE).into_drawing_area(),
        points,
        labels,
        title,
    )
}
