//! The PNG grid: a row of test images, then per task its targets and each loss's predictions
//! (class colours: background black, digit d in colour d; binary foreground white), drawn with
//! `plotters` (text with the Ubuntu font `epaint_default_fonts` embeds).

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use burn_losses::train::Segmenter;
use plotters::prelude::*;

use crate::Task;
use crate::data::Digit;
use crate::model::EncoderDecoder;

const SCALE: i32 = 3;
const CELL: i32 = 28 * SCALE + 6;
const LABEL_WIDTH: i32 = 210;

/// The colour of class `c` of `task`.
fn colour(task: Task, c: i64) -> RGBColor {
    match (task, c) {
        (_, 0) => RGBColor(0, 0, 0),
        (Task::Binary, _) => RGBColor(255, 255, 255),
        (Task::Digits, c) => {
            let p = Palette99::pick(c as usize - 1).to_rgba();
            RGBColor(p.0, p.1, p.2)
        }
    }
}

/// Draws one 28×28 image whose pixel colours come from `pixel` at column `col` of row `row`.
fn cell<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    row: i32,
    col: i32,
    pixel: impl Fn(usize) -> RGBColor,
) -> Result<(), String> {
    let (x0, y0) = (LABEL_WIDTH + col * CELL, 8 + row * CELL);
    for i in 0..784 {
        let (y, x) = ((i / 28) as i32, (i % 28) as i32);
        let (px, py) = (x0 + x * SCALE, y0 + y * SCALE);
        root.draw(&Rectangle::new(
            [(px, py), (px + SCALE, py + SCALE)],
            pixel(i).filled(),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Writes the grid of `digits` (one column each) with the predictions of every `(label, task,
/// model)` row.
pub fn draw(
    path: &Path,
    digits: &[Digit],
    runs: &[(String, Task, &EncoderDecoder)],
    device: &Device,
    mask: fn(&Digit, Task) -> Vec<i64>,
) -> Result<(), String> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the embedded Ubuntu font could not be read".to_string())?;
    let mut tasks: Vec<Task> = runs.iter().map(|r| r.1).collect();
    tasks.dedup();
    let rows = 1 + tasks.len() + runs.len();
    let size = (
        (LABEL_WIDTH + CELL * digits.len() as i32 + 8) as u32,
        (16 + CELL * rows as i32) as u32,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&RGBColor(235, 235, 235)).map_err(|e| e.to_string())?;
    let label = |row: i32, text: &str| {
        root.draw(&Text::new(
            text.to_string(),
            (8, 8 + row * CELL + CELL / 2 - 9),
            ("sans-serif", 17).into_font().color(&BLACK),
        ))
        .map_err(|e| e.to_string())
    };
    let n = digits.len();
    let pixels: Vec<f32> = digits
        .iter()
        .flat_map(|d| d.pixels.iter().map(|&p| p as f32 / 255.0))
        .collect();
    let images = Tensor::<4>::from_data(TensorData::new(pixels, [n, 1, 28, 28]), device);

    label(0, "input")?;
    for (col, d) in digits.iter().enumerate() {
        cell(&root, 0, col as i32, |i| {
            let v = d.pixels[i];
            RGBColor(v, v, v)
        })?;
    }
    let mut row = 1;
    for &task in &tasks {
        label(row, &format!("target ({task:?})"))?;
        for (col, d) in digits.iter().enumerate() {
            let m = mask(d, task);
            cell(&root, row, col as i32, |i| colour(task, m[i]))?;
        }
        row += 1;
        for (name, _, model) in runs.iter().filter(|r| r.1 == task) {
            label(row, name)?;
            let predicted: Vec<i64> = model
                .logits(images.clone())
                .argmax(1)
                .into_data()
                .iter::<i64>()
                .collect();
            for col in 0..n {
                cell(&root, row, col as i32, |i| colour(task, predicted[col * 784 + i]))?;
            }
            row += 1;
        }
    }
    root.present().map_err(|e| e.to_string())
}
