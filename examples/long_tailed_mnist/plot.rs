//! The per-class recall plot (PNG and SVG, drawn with `plotters`; text with the Ubuntu font that
//! `epaint_default_fonts` embeds, so no system font is needed).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::Study;

const SIZE: (u32, u32) = (1400, 560);

/// One panel per ρ: mean per-class test recall of each loss, classes from most to least frequent.
fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, study: &Study) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let groups = study.groups();
    let panels = root.split_evenly((1, study.counts.len().max(1)));
    // one y range for all panels: from below the lowest mean recall (in steps of 10 %) to 100 %
    let lowest = groups
        .iter()
        .flat_map(|(_, _, runs)| Study::mean_recall(runs))
        .fold(1.0f64, f64::min);
    let y_min = ((100.0 * lowest - 2.0) / 10.0).floor().max(0.0) * 10.0;
    for (panel, (rho, counts)) in panels.iter().zip(&study.counts) {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("long-tailed MNIST, ρ = {rho}: per-class test recall"),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.3f64..9.3f64, y_min..100.5f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(10)
            .x_label_formatter(&|x| {
                let c = x.round() as usize;
                format!("{c} (n={})", counts.get(c).copied().unwrap_or(0))
            })
            .x_desc("digit (training images)")
            .y_desc("recall %")
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        for (k, (_, loss, runs)) in groups.iter().filter(|g| g.0 == *rho).enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let recall = Study::mean_recall(runs);
            let points: Vec<(f64, f64)> = recall
                .iter()
                .enumerate()
                .map(|(c, r)| (c as f64, 100.0 * r))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(err)?
                .label(loss.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// Writes `long_tailed_mnist_recall.png` and `.svg` into `dir`.
pub fn recall_plots(study: &Study, dir: &Path) -> Result<(), String> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the embedded Ubuntu font could not be read".to_string())?;
    let png = dir.join("long_tailed_mnist_recall.png");
    draw(BitMapBackend::new(&png, SIZE).into_drawing_area(), study)?;
    let svg = dir.join("long_tailed_mnist_recall.svg");
    draw(SVGBackend::new(&svg, SIZE).into_drawing_area(), study)
}
